import CLlamaChat
import HearthCore

/// llama.cpp's JSON Schema to grammar converter (common/json-schema-to-grammar.cpp), which
/// knows far more of JSON Schema than Hearth's own: tool parameters come from any client.
enum LlamaSchemaGrammar {
    /// A GBNF grammar (rule `root`) for the JSON Schema `schema` (JSON text).
    /// - Throws: `HearthError.invalidRequest` naming `field` when the converter refuses the schema.
    static func grammar(for schema: String, field: String) throws -> String {
        var error: UnsafeMutablePointer<CChar>?
        guard let grammar = hearth_json_schema_to_grammar(schema, &error) else {
            let reason = error.map { String(cString: $0) } ?? "unknown error"
            hearth_chat_string_free(error)
            throw HearthError.invalidRequest("a JSON schema could not be turned into a grammar: \(reason)", field: field)
        }
        defer { hearth_chat_string_free(grammar) }
        return String(cString: grammar)
    }
}
