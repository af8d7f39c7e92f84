import Foundation
import HearthCore

/// A skill folder's `SKILL.md`: a front matter block of `key: value` lines between `---`
/// lines (a value may go on over indented lines), then free text for people.
///
/// ```
/// ---
/// name: word_count
/// description: Count the words of a text.
/// input_schema: {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
/// command: python3 main.py
/// timeout: 10
/// network: false
/// ---
/// ```
/// `command` (default `./run`) is split at spaces; words naming files of the folder run from
/// it. The input arrives as JSON on standard input; what the program prints is the output.
struct SkillManifest: Sendable, Equatable {
    static let fileName = "SKILL.md"
    static let defaultTimeout = 30
    static let maxTimeout = 600

    var name: String
    var description: String
    var inputSchema: String
    var command: [String]
    /// Seconds it may run.
    var timeout: Int
    var network: Bool

    /// - Throws: `Problem` saying what is wrong, for the skill list.
    init(_ text: String) throws(Problem) {
        let fields = try Self.frontMatter(text)
        let known: Set = ["name", "description", "input_schema", "command", "timeout", "network"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw Problem("unknown field '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        guard let name = fields["name"], !name.isEmpty else { throw Problem("'name' is missing") }
        guard name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw Problem("the name '\(name.prefix(80))' must be 1 to 64 letters, digits, '_' or '-'")
        }
        guard let description = fields["description"], !description.isEmpty else { throw Problem("'description' is missing") }
        let schema = fields["input_schema"] ?? #"{"type": "object", "properties": {}}"#
        guard (try? JSONSerialization.jsonObject(with: Data(schema.utf8))) is [String: Any] else {
            throw Problem("'input_schema' is not a JSON object")
        }
        let command = (fields["command"] ?? "./run").split(whereSeparator: \.isWhitespace).map(String.init)
        guard !command.isEmpty else { throw Problem("'command' is empty") }
        let timeout = fields["timeout"].map { Int($0) } ?? Self.defaultTimeout
        guard let timeout, (1...Self.maxTimeout).contains(timeout) else {
            throw Problem("'timeout' must be a number of seconds from 1 to \(Self.maxTimeout)")
        }
        let network = fields["network"] ?? "false"
        guard ["true", "false"].contains(network) else { throw Problem("'network' must be true or false") }
        self.name = name
        self.description = description
        self.inputSchema = schema
        self.command = command
        self.timeout = timeout
        self.network = network == "true"
    }

    /// What is wrong with a skill folder.
    struct Problem: Error, Sendable, Equatable {
        var message: String
        init(_ message: String) { self.message = message }
    }

    /// The front matter's fields; quotes around a one-line value are removed.
    static func frontMatter(_ text: String) throws(Problem) -> [String: String] {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)[...]
        while let first = lines.first, first.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeFirst() }
        guard lines.first?.trimmingCharacters(in: .whitespaces) == "---" else {
            throw Problem("SKILL.md must start with a '---' line, then name, description and input_schema")
        }
        lines.removeFirst()
        var fields: [String: String] = [:]
        var key: String?
        for line in lines {
            if line.trimmingCharacters(in: .whitespaces) == "---" {
                return fields.mapValues(unquoted)
            }
            if let first = line.first, first == " " || first == "\t", let key {
                fields[key, default: ""] += (fields[key]!.isEmpty ? "" : "\n") + line.trimmingCharacters(in: .whitespaces)
                continue
            }
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty, !line.hasPrefix("#") else { continue }
            guard let colon = line.firstIndex(of: ":") else { throw Problem("'\(line.prefix(80))' is not a 'key: value' line") }
            let name = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
            guard fields[name] == nil else { throw Problem("'\(name)' appears twice") }
            fields[name] = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            key = name
        }
        throw Problem("the front matter has no closing '---' line")
    }

    private static func unquoted(_ value: String) -> String {
        let value = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard value.count >= 2, let first = value.first, first == value.last, first == "\"" || first == "'" else { return value }
        return String(value.dropFirst().dropLast())
    }
}
