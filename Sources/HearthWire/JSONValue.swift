import Foundation

/// Any JSON value, for fields whose shape Hearth carries or reports without a type of its own
/// (Ollama's `format` schema and `think`, `/api/show`'s `model_info`).
public enum JSONValue: Codable, Sendable, Equatable {
    /// A string.
    case string(String)
    /// A number without a fraction or exponent that fits an `Int`.
    case int(Int)
    /// Any other number.
    case double(Double)
    /// `true` or `false`.
    case bool(Bool)
    /// An array.
    case array([JSONValue])
    /// An object; key order is not kept.
    case object([String: JSONValue])
    /// `null`.
    case null

    /// Decodes whatever JSON is there; integers stay `.int`, other numbers become `.double`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a JSON value")
        }
    }

    /// Encodes the value as the JSON it was.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }
}

extension JSONValue {
    /// The value as text: strings as they are, numbers and booleans as they print, other
    /// values as JSON.
    public var text: String {
        switch self {
        case .string(let value): value
        case .int(let value): String(value)
        case .double(let value): String(value)
        case .bool(let value): String(value)
        case .null: "null"
        case .array, .object:
            (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
    }
}

extension JSONValue {
    /// The value as compact JSON text in one fixed key order, the order JSON Schemas are
    /// usually written in: `type`, `description`, `enum`, `const`, `properties`, `items`,
    /// `required` first, then the other keys (property names among them) by name. The same
    /// schema always gives the same text, whatever order the client sent (which `JSONValue`
    /// does not keep).
    public var schemaText: String {
        switch self {
        case .array(let values): "[" + values.map(\.schemaText).joined(separator: ",") + "]"
        case .object(let members):
            "{"
                + members.keys.sorted(by: Self.schemaOrder).map { Self.quoted($0) + ":" + members[$0]!.schemaText }.joined(
                    separator: ",") + "}"
        case .string(let value): Self.quoted(value)
        default: text
        }
    }

    private static let leadingKeys = ["type", "description", "enum", "const", "properties", "items", "required"]

    private static func schemaOrder(_ a: String, _ b: String) -> Bool {
        let (first, second) = (leadingKeys.firstIndex(of: a) ?? leadingKeys.count, leadingKeys.firstIndex(of: b) ?? leadingKeys.count)
        return first != second ? first < second : a < b
    }

    private static func quoted(_ text: String) -> String {
        (try? JSONEncoder().encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? #""""#
    }
}
