import Foundation

/// A function the model may call: its name, what it does, and its input as a JSON Schema.
public struct Tool: Sendable, Equatable, Codable {
    public var name: String
    public var description: String
    /// The JSON Schema of the arguments, as JSON text (`{}` takes any object).
    public var parameters: String

    public init(name: String, description: String = "", parameters: String = "{}") {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

/// Whether the model must call a tool (OpenAI's `tool_choice`).
public enum ToolChoice: Sendable, Equatable, Codable {
    /// The model decides: a call or an answer.
    case auto
    /// No call: the tools are ignored.
    case none
    /// At least one call, to any tool.
    case required
    /// One call to the tool of this name.
    case function(String)
}

/// The tools of one request and how they may be used.
public struct ToolUse: Sendable, Equatable, Codable {
    public var tools: [Tool]
    public var choice: ToolChoice
    /// Whether one answer may call several tools at once.
    public var parallel: Bool

    public init(tools: [Tool], choice: ToolChoice = .auto, parallel: Bool = true) {
        self.tools = tools
        self.choice = choice
        self.parallel = parallel
    }

    /// Whether the model is offered calls at all.
    public var offersCalls: Bool { !tools.isEmpty && choice != .none }

    /// Checks names and choices a client can get wrong.
    /// - Throws: `HearthError.invalidRequest` naming `tools` or `tool_choice`.
    public func validate() throws {
        var names = Set<String>()
        for tool in tools {
            guard !tool.name.isEmpty, tool.name.count <= 64,
                tool.name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") })
            else {
                throw HearthError.invalidRequest(
                    "a tool's name must be 1 to 64 letters, digits, '_', '-' or '.' (got \(tool.name.debugDescription))", field: "tools")
            }
            guard names.insert(tool.name).inserted else {
                throw HearthError.invalidRequest("two tools are named \(tool.name.debugDescription)", field: "tools")
            }
            guard (try? JSONSerialization.jsonObject(with: Data(tool.parameters.utf8))) is [String: Any] else {
                throw HearthError.invalidRequest(
                    "the parameters of tool \(tool.name.debugDescription) must be a JSON Schema object", field: "tools")
            }
        }
        if case .function(let name) = choice, !names.contains(name) {
            throw HearthError.invalidRequest(
                "tool_choice names \(name.debugDescription), which is not among the tools", field: "tool_choice")
        }
        if choice == .required && tools.isEmpty {
            throw HearthError.invalidRequest("tool_choice \"required\" needs at least one tool", field: "tool_choice")
        }
    }
}

/// A call the model made: which tool, with what arguments (a JSON object, as text).
public struct ToolCall: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var arguments: String

    public init(id: String = ToolCall.newID(), name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }

    /// A fresh call id (`call_` and 24 random letters and digits), as OpenAI's look.
    public static func newID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return "call_" + String((0..<24).map { _ in alphabet.randomElement()! })
    }
}
