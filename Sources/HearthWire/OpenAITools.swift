import Foundation
import HearthCore

/// OpenAI's tool calling on the wire: `tools`, `tool_choice`, `tool_calls` in messages and
/// answers, and their streamed deltas.
extension OpenAI {
    /// The tools of a request (chat completions or Responses), checked; nil when it names
    /// none. `grammar` is the request's output format, which cannot go with calls.
    /// - Throws: `HearthError.invalidRequest` naming `tools`, `tool_choice` or `formatField`.
    static func toolUse(_ tools: [Tool]?, choice: ToolChoice?, parallel: Bool?, besides grammar: String?, formatField: String) throws
        -> ToolUse?
    {
        guard tools != nil || choice != nil else { return nil }
        let toolUse = ToolUse(tools: tools ?? [], choice: choice ?? .auto, parallel: parallel ?? true)
        try toolUse.validate()
        if toolUse.offersCalls, grammar != nil {
            throw HearthError.invalidRequest("'\(formatField)' cannot be combined with tools", field: formatField)
        }
        return toolUse
    }

    /// One entry of `tools`: `{"type": "function", "function": {name, description, parameters}}`.
    public struct ToolDefinition: Codable, Sendable {
        public var type: String
        public var function: Function

        public struct Function: Codable, Sendable {
            public var name: String
            public var description: String?
            public var parameters: JSONValue?
            public var strict: Bool?

            public init(name: String, description: String? = nil, parameters: JSONValue? = nil) {
                self.name = name
                self.description = description
                self.parameters = parameters
            }
        }

        public init(function: Function) {
            type = "function"
            self.function = function
        }

        func native(at index: Int) throws -> Tool {
            guard type == "function" else {
                throw HearthError.invalidRequest("'tools[\(index)].type' must be function", field: "tools")
            }
            let parameters = function.parameters ?? .object([:])
            guard case .object = parameters else {
                throw HearthError.invalidRequest("'tools[\(index)].function.parameters' must be a JSON Schema object", field: "tools")
            }
            // In one fixed key order: the same tools always make the same prompt and grammar.
            return Tool(name: function.name, description: function.description ?? "", parameters: parameters.schemaText)
        }
    }

    /// `tool_choice`: `"auto"`, `"none"`, `"required"` or `{"type": "function", "function": {"name": …}}`.
    public struct ToolChoiceValue: Codable, Sendable {
        public var choice: ToolChoice

        public init(_ choice: ToolChoice) { self.choice = choice }

        struct Named: Codable {
            struct Function: Codable { var name: String }
            var type: String
            var function: Function
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                switch text {
                case "auto": choice = .auto
                case "none": choice = .none
                case "required": choice = .required
                default:
                    throw HearthError.invalidRequest("'tool_choice' must be auto, none, required or a named function", field: "tool_choice")
                }
            } else if let named = try? container.decode(Named.self), named.type == "function" {
                choice = .function(named.function.name)
            } else {
                throw HearthError.invalidRequest("'tool_choice' must be auto, none, required or a named function", field: "tool_choice")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch choice {
            case .auto: try container.encode("auto")
            case .none: try container.encode("none")
            case .required: try container.encode("required")
            case .function(let name): try container.encode(Named(type: "function", function: .init(name: name)))
            }
        }
    }

    /// A call in an assistant message: `{"id", "type": "function", "function": {name, arguments}}`.
    public struct ToolCallValue: Codable, Sendable, Equatable {
        public var id: String
        public var type = "function"
        public var function: Function

        public struct Function: Codable, Sendable, Equatable {
            public var name: String
            /// The arguments, a JSON object as text.
            public var arguments: String
        }

        public init(_ call: ToolCall) {
            id = call.id
            function = Function(name: call.name, arguments: call.arguments)
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decodeIfPresent(String.self, forKey: .id) ?? ToolCall.newID()
            type = try container.decodeIfPresent(String.self, forKey: .type) ?? "function"
            function = try container.decode(Function.self, forKey: .function)
        }

        enum CodingKeys: String, CodingKey { case id, type, function }

        var native: ToolCall { ToolCall(id: id, name: function.name, arguments: function.arguments) }
    }

    /// A piece of a streamed call: the first for each `index` carries `id`, `type` and the
    /// name, the next ones pieces of the arguments.
    public struct ToolCallDelta: Codable, Sendable {
        public var index: Int
        public var id: String?
        public var type: String?
        public var function: Function

        public struct Function: Codable, Sendable {
            public var name: String?
            public var arguments: String?
        }

        /// The deltas that stream `call` as the `index`th: its name, then its arguments.
        public static func pieces(of call: ToolCall, index: Int) -> [ToolCallDelta] {
            [
                ToolCallDelta(index: index, id: call.id, type: "function", function: .init(name: call.name, arguments: "")),
                ToolCallDelta(index: index, function: .init(arguments: call.arguments)),
            ]
        }
    }
}
