import Foundation

/// A named tool the server itself runs: built into Hearth, or a user's skill folder.
public struct SkillInfo: Sendable, Equatable {
    /// Where a skill comes from.
    public enum Origin: Sendable, Equatable {
        /// Part of Hearth.
        case builtin
        /// A folder with a `SKILL.md` (its path), run in a sandbox.
        case folder(String)
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
