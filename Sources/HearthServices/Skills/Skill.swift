import Foundation
import HearthCore

/// A tool the server runs. `SkillService` checks the caller's rights and the input against
/// `info.inputSchema` before `run`; what `run` throws becomes a tool error the caller reads.
protocol Skill: Sendable {
    var info: SkillInfo { get }
    func run(_ input: SkillInput, by principal: Principal) async throws -> SkillOutput
}

/// A skill's input: the JSON object it was called with, its text kept for skills that pass
/// it on (folder skills read it on standard input).
struct SkillInput: @unchecked Sendable {  // immutable Foundation values from JSONSerialization
    let text: String
    let values: [String: Any]

    /// - Throws: `HearthError.invalidRequest` when `text` is not a JSON object.
    init(_ text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let source = trimmed.isEmpty ? "{}" : trimmed
        guard let values = try? JSONSerialization.jsonObject(with: Data(source.utf8)) as? [String: Any] else {
            throw HearthError.invalidRequest("a skill's input must be a JSON object", field: "arguments")
        }
        self.text = source
        self.values = values
    }

    func string(_ key: String) -> String? { values[key] as? String }

    /// - Throws: `HearthError.invalidRequest` when the key is missing or empty.
    func requiredString(_ key: String) throws -> String {
        guard let value = string(key), !value.isEmpty else {
            throw HearthError.invalidRequest("'\(key)' is required", field: key)
        }
        return value
    }

    func integer(_ key: String) -> Int? { (values[key] as? NSNumber).flatMap { Self.isBool($0) ? nil : $0.intValue } }

    func strings(_ key: String) -> [String] { values[key] as? [String] ?? [] }

    /// Checks the input against the parts of a JSON Schema a caller can get wrong: an object,
    /// its required properties, and the types of the properties it names.
    /// - Throws: `HearthError.invalidRequest` naming the property.
    func check(against schemaText: String) throws {
        guard let schema = try? JSONSerialization.jsonObject(with: Data(schemaText.utf8)) as? [String: Any] else { return }
        for key in schema["required"] as? [String] ?? [] where values[key] == nil || values[key] is NSNull {
            throw HearthError.invalidRequest("'\(key)' is required", field: key)
        }
        let properties = schema["properties"] as? [String: Any] ?? [:]
        for (key, value) in values {
            guard let property = properties[key] as? [String: Any] else { continue }
            let types = (property["type"] as? String).map { [$0] } ?? property["type"] as? [String] ?? []
            guard !types.isEmpty, !types.contains(where: { Self.matches(value, $0) }) else { continue }
            throw HearthError.invalidRequest("'\(key)' must be \(types.joined(separator: " or "))", field: key)
        }
    }

    static func matches(_ value: Any, _ type: String) -> Bool {
        switch type {
        case "string": value is String
        case "boolean": (value as? NSNumber).map(isBool) ?? false
        case "integer": (value as? NSNumber).map { !isBool($0) && $0.doubleValue.rounded() == $0.doubleValue } ?? false
        case "number": (value as? NSNumber).map { !isBool($0) } ?? false
        case "array": value is [Any]
        case "object": value is [String: Any]
        case "null": value is NSNull
        default: true
        }
    }

    /// JSON's `true` and `false` arrive as numbers of the C type `char`; JSON numbers never do.
    static func isBool(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }
}

extension SkillInfo {
    /// An input schema from its properties and the names of those required.
    static func schema(_ properties: [String: [String: Any]], required: [String] = []) -> String {
        let schema: [String: Any] = ["type": "object", "properties": properties, "required": required]
        let data = (try? JSONSerialization.data(withJSONObject: schema, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
