import Foundation
import HearthCore

/// Turns a JSON Schema (OpenAI's `response_format`, Ollama's `format`) into a GBNF grammar
/// that llama.cpp's grammar sampler enforces token by token, so that even a tiny model
/// answers with JSON of that shape.
///
/// Supported: `type` object (every listed property, `required` ones first in their order,
/// then the rest by name), string (with `enum`), integer, number, boolean, null, array
/// (`items`), `enum` and `const` of any JSON values, `minLength`/`maxLength` of strings; a
/// schema without `type` allows any JSON. Without `maxLength` a small model may run out of
/// tokens inside a string: bound the strings you can.
/// Whitespace between tokens is at most one space, which keeps small models from rambling.
public enum JSONSchemaGrammar {
    /// A grammar for any JSON object (`response_format: {"type": "json_object"}`, `format: "json"`).
    public static let anyObject = rules(root: "object")

    /// - Throws: `HearthError.invalidRequest` naming `field` for a schema it cannot express.
    public static func grammar(for schema: JSONValue, field: String) throws -> String {
        var builder = Builder(field: field)
        let root = try builder.rule(for: schema, name: "root-value")
        return "root ::= " + root + "\n" + builder.rules.map { "\($0.0) ::= \($0.1)" }.joined(separator: "\n") + "\n" + base
    }

    static func rules(root: String) -> String { "root ::= \(root)\n" + base }

    static let base = #"""
        value ::= object | array | string | number | ("true" | "false" | "null") ws
        object ::= "{" ws ( string ":" ws value ( "," ws string ":" ws value )* )? "}" ws
        array ::= "[" ws ( value ( "," ws value )* )? "]" ws
        string ::= "\"" char* "\"" ws
        char ::= [^"\\\x7F\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] )
        integer ::= "-"? ( "0" | [1-9] [0-9]{0,15} ) ws
        number ::= "-"? ( "0" | [1-9] [0-9]{0,15} ) ( "." [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,4} )? ws
        boolean ::= ( "true" | "false" ) ws
        null ::= "null" ws
        ws ::= " "?
        """#

    private struct Builder {
        let field: String
        var rules: [(String, String)] = []

        mutating func rule(for schema: JSONValue, name: String) throws -> String {
            guard case .object(let object) = schema else {
                if case .bool(true) = schema { return "value" }
                throw HearthError.invalidRequest("the JSON schema must be an object", field: field)
            }
            if case .array(let options)? = object["enum"] { return try literals(options) }
            if let constant = object["const"] { return try literals([constant]) }
            let type: String
            switch object["type"] {
            case .string(let text)?: type = text
            case nil: return "value"
            default: throw HearthError.invalidRequest("the schema's type must be one string", field: field)
            }
            switch type {
            case "string":
                let minimum = object["minLength"].flatMap { if case .int(let n) = $0 { n } else { nil } } ?? 0
                guard case .int(let maximum)? = object["maxLength"] else {
                    return minimum > 0 ? #""\"" char{\#(minimum),} "\"" ws"# : "string"
                }
                return #""\"" char{\#(minimum),\#(maximum)} "\"" ws"#
            case "integer", "number", "boolean", "null": return type
            case "array":
                let item = try object["items"].map { try rule(for: $0, name: name + "-item") } ?? "value"
                return add(name, #""[" ws ( \#(item) ( "," ws \#(item) )* )? "]" ws"#)
            case "object":
                guard case .object(let properties)? = object["properties"] else { return "object" }
                var order: [String] = []
                if case .array(let required)? = object["required"] {
                    order = required.compactMap { if case .string(let key) = $0, properties[key] != nil { key } else { nil } }
                }
                order += properties.keys.sorted().filter { !order.contains($0) }
                guard !order.isEmpty else { return #""{" ws "}" ws"# }
                var parts: [String] = []
                for key in order {
                    let value = try rule(for: properties[key]!, name: name + "-" + Self.ruleName(key))
                    parts.append(#"\#(Self.quoted(key)) ws ":" ws \#(value)"#)
                }
                return add(name, #""{" ws "# + parts.joined(separator: #" "," ws "#) + #" "}" ws"#)
            default:
                throw HearthError.invalidRequest("the schema type '\(type)' is not supported", field: field)
            }
        }

        private mutating func literals(_ values: [JSONValue]) throws -> String {
            let alternatives = try values.map { Self.literal(String(decoding: try Self.encoder.encode($0), as: UTF8.self)) }
            return "( " + alternatives.joined(separator: " | ") + " ) ws"
        }

        private mutating func add(_ name: String, _ body: String) -> String {
            rules.append((name, body))
            return name
        }

        /// A grammar literal that matches the JSON text of `key` as a string.
        static func quoted(_ key: String) -> String {
            literal((try? encoder.encode(key)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\"")
        }

        /// JSON text as the model must write it: keys sorted, slashes not escaped.
        static let encoder: JSONEncoder = {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return encoder
        }()

        /// `text` as a GBNF string literal.
        static func literal(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }

        /// Letters, digits and dashes only, as GBNF rule names must be.
        static func ruleName(_ key: String) -> String {
            let name = String(key.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII ? Character($0) : "-" })
            return name.isEmpty ? "key" : name
        }
    }
}
