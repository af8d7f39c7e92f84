import Foundation
import HearthCore

/// Decodes request bodies, turning every decoding failure into a `HearthError` that names
/// the field at fault (`messages[0].content`) and says what was expected.
public enum WireDecoder {
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as HearthError {
            throw error
        } catch let error as DecodingError {
            throw describe(error)
        } catch {
            throw HearthError.invalidRequest("the request body is not valid JSON")
        }
    }

    static func describe(_ error: DecodingError) -> HearthError {
        switch error {
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return .invalidRequest("'\(field)' has the wrong type: expected \(name(of: type))", field: field)
        case .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            return .invalidRequest("'\(field)' must not be null: expected \(name(of: type))", field: field)
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return .invalidRequest("'\(field)' is required", field: field)
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return .invalidRequest("the request body is not valid JSON")
            }
            let field = path(context.codingPath)
            return .invalidRequest("'\(field)' is invalid: \(context.debugDescription)", field: field)
        @unknown default:
            return .invalidRequest("the request body could not be decoded")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return text.isEmpty ? "body" : text
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int32.Type, is UInt32.Type, is Int64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "a boolean"
        case is [Any].Type: "an array"
        default: "\(type)".contains("Array") ? "an array" : "an object"
        }
    }
}

/// A field that may be one value or an array of them (`"stop": "x"` or `"stop": ["x", "y"]`).
public struct OneOrMany<Element: Codable & Sendable>: Codable, Sendable {
    public var values: [Element]

    public init(_ values: [Element]) {
        self.values = values
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(Element.self) {
            values = [one]
        } else if let many = try? container.decode([Element].self) {
            values = many
        } else {
            throw DecodingError.typeMismatch(
                Element.self,
                .init(codingPath: decoder.codingPath, debugDescription: "expected a value or an array of values"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if values.count == 1 { try container.encode(values[0]) } else { try container.encode(values) }
    }
}

/// Server-sent events as OpenAI streams them: `data: JSON` blocks, then `data: [DONE]`.
public enum ServerSentEvents {
    /// One event carrying `value` as JSON.
    public static func event<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return "data: " + String(decoding: try encoder.encode(value), as: UTF8.self) + "\n\n"
    }

    public static let done = "data: [DONE]\n\n"

    /// Splits a stream of bytes into the `data:` payloads of its events (for clients and tests).
    public struct Parser: Sendable {
        private var buffer = ""

        public init() {}

        /// Adds received text; returns the payloads of the events it completed.
        public mutating func feed(_ text: String) -> [String] {
            buffer += text.replacingOccurrences(of: "\r\n", with: "\n")
            var payloads: [String] = []
            while let end = buffer.range(of: "\n\n") {
                let block = buffer[..<end.lowerBound]
                buffer.removeSubrange(..<end.upperBound)
                let data = block.split(separator: "\n").filter { $0.hasPrefix("data:") }.map {
                    $0.dropFirst(5).drop(while: { $0 == " " })
                }
                if !data.isEmpty { payloads.append(data.joined(separator: "\n")) }
            }
            return payloads
        }
    }
}

/// A field Hearth does not support: decoding only notes that it is there, so that the
/// request can be refused with a clear error instead of silently ignored.
public struct Unsupported: Codable, Sendable {
    public init(from decoder: any Decoder) throws {}
    public func encode(to encoder: any Encoder) throws {}
}

/// `data:` URLs (`data:image/png;base64,…`), the one way images reach Hearth in a chat.
public enum DataURL {
    /// The bytes of a base64 `data:` URL; nil for anything else (a remote URL, plain text).
    public static func decode(_ url: String) -> Data? {
        guard url.hasPrefix("data:"), let comma = url.firstIndex(of: ","), url[..<comma].hasSuffix(";base64") else { return nil }
        return Data(base64Encoded: String(url[url.index(after: comma)...]), options: .ignoreUnknownCharacters)
    }
}
