import Foundation
import HearthCore

/// Wire shapes of `/hearth/skills`.
public enum SkillsWire {
    public struct Skill: Codable, Sendable {
        public var name: String
        public var description: String
        /// The JSON Schema of its input.
        public var inputSchema: JSONValue
        /// `builtin`, `folder` or `mcp` (with `server`).
        public var origin: String
        /// Administrators only.
        public var adminOnly: Bool
        /// Whether it may reach the network.
        public var network: Bool
        /// The MCP server it belongs to.
        public var server: String?

        enum CodingKeys: String, CodingKey {
            case name, description, origin, network, server
            case inputSchema = "input_schema", adminOnly = "admin_only"
        }

        public init(_ info: SkillInfo) {
            name = info.name
            description = info.description
            inputSchema = (try? JSONDecoder().decode(JSONValue.self, from: Data(info.inputSchema.utf8))) ?? .object([:])
            switch info.origin {
            case .builtin: origin = "builtin"
            case .folder: origin = "folder"
            case .mcp(let name):
                origin = "mcp"
                server = name
            }
            adminOnly = info.adminOnly
            network = info.network
        }
    }

    /// A skill folder that could not be read, and why.
    public struct Problem: Codable, Sendable {
        public var folder: String
        public var message: String

        public init(folder: String, message: String) {
            self.folder = folder
            self.message = message
        }
    }

    public struct List: Codable, Sendable {
        public var skills: [Skill]
        /// Shown to administrators only; empty for others.
        public var problems: [Problem]

        public init(skills: [Skill], problems: [Problem]) {
            self.skills = skills
            self.problems = problems
        }
    }

    /// `POST /hearth/skills/{name}`: the input, a JSON object (none is `{}`).
    public struct RunRequest: Codable, Sendable {
        public var arguments: JSONValue?

        public init(arguments: JSONValue?) { self.arguments = arguments }
    }

    /// What a run gave back. `is_error` marks a tool error (the skill ran and failed, or was
    /// stopped), which the caller reads like any output.
    public struct RunResult: Codable, Sendable {
        public var name: String
        public var output: String
        public var isError: Bool
        public var durationMs: Int

        enum CodingKeys: String, CodingKey {
            case name, output
            case isError = "is_error", durationMs = "duration_ms"
        }

        public init(name: String, output: String, isError: Bool, durationMs: Int) {
            self.name = name
            self.output = output
            self.isError = isError
            self.durationMs = durationMs
        }
    }
}
