import Foundation

/// A named tool the server itself runs: built into Hearth, or a user's skill folder.
public struct SkillInfo: Sendable, Equatable {
    /// Where a skill comes from.
    public enum Origin: Sendable, Equatable {
        /// Part of Hearth.
        case builtin
        /// A folder with a `SKILL.md` (its path), run in a sandbox.
        case folder(String)
        /// A tool of an external MCP server (its configured name).
        case mcp(String)
    }

    /// Letters, digits, `_`, `-` or `.`; 1 to 64 of them (a valid tool name).
    public var name: String
    public var description: String
    /// The JSON Schema of its input, as JSON text.
    public var inputSchema: String
    public var origin: Origin
    /// Only administrators see and run it.
    public var adminOnly: Bool
    /// Whether it may reach the network (folder skills only; built-ins run in the server).
    public var network: Bool

    public init(
        name: String, description: String, inputSchema: String, origin: Origin = .builtin, adminOnly: Bool = false,
        network: Bool = false
    ) {
        self.name = name
        self.description = description
        self.inputSchema = inputSchema
        self.origin = origin
        self.adminOnly = adminOnly
        self.network = network
    }

    /// The skill offered to a model as a tool.
    public var tool: Tool { Tool(name: name, description: description, parameters: inputSchema) }

    /// Whether `principal` may see and run it.
    public func isVisible(to principal: Principal) -> Bool { !adminOnly || principal.isAdmin }
}

/// What a skill run gave back: its text, and whether that text reports a failure (a tool
/// error the caller or a model reads, not a failed request).
public struct SkillOutput: Sendable, Equatable {
    public var text: String
    public var isError: Bool

    public init(_ text: String, isError: Bool = false) {
        self.text = text
        self.isError = isError
    }

    public static func failure(_ text: String) -> SkillOutput { SkillOutput(text, isError: true) }
}

/// Skills that live elsewhere: the tools of external MCP servers, named `server.tool`.
public protocol ExternalSkills: Sendable {
    /// The tools of the servers that are up now.
    var skills: [SkillInfo] { get }
    /// Calls one; a server that is down or fails gives a tool error.
    func run(_ name: String, input: String) async -> SkillOutput
    /// How each configured server is doing.
    var servers: [ExternalServerStatus] { get }
}

/// One external server, as `/hearth/status` reports it.
public struct ExternalServerStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        case starting, up, down
    }

    public var name: String
    public var state: State
    public var tools: Int
    /// Why it is down (its last words on standard error, or the connection's error).
    public var error: String?
    /// Times it was started again after failing.
    public var restarts: Int

    public init(name: String, state: State, tools: Int = 0, error: String? = nil, restarts: Int = 0) {
        self.name = name
        self.state = state
        self.tools = tools
        self.error = error
        self.restarts = restarts
    }
}
