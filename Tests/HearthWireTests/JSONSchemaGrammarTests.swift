import Foundation
import HearthCore
import HearthWire
import Testing

@Suite struct JSONSchemaGrammarTests {
    func schema(_ json: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
    }

    @Test func anObjectSchemaListsItsPropertiesRequiredFirst() throws {
        let grammar = try JSONSchemaGrammar.grammar(
            for: schema(
                #"{"type":"object","properties":{"explanation":{"type":"string"},"command":{"type":"string"},"risk":{"enum":["low","high"]},"n":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}},"required":["command","explanation"]}"#
            ), field: "format")
        let root = try #require(grammar.split(separator: "\n").first { $0.hasPrefix("root-value ::=") })
        let command = try #require(root.range(of: #""\"command\"""#))
        let explanation = try #require(root.range(of: #""\"explanation\"""#))
        let n = try #require(root.range(of: #""\"n\"""#))
        #expect(command.lowerBound < explanation.lowerBound && explanation.lowerBound < n.lowerBound)
        #expect(grammar.contains(#"( "\"low\"" | "\"high\"" ) ws"#))
        #expect(grammar.contains("root-value-tags ::="))
        #expect(grammar.hasPrefix("root ::= root-value\n"))
    }

    @Test func unsupportedSchemasNameTheField() throws {
        let error = #expect(throws: HearthError.self) {
            try JSONSchemaGrammar.grammar(for: schema(#"{"type":"tuple"}"#), field: "response_format")
        }
        #expect(error?.field == "response_format")
        let format = OpenAI.ChatCompletionRequest.ResponseFormat(type: "xml")
        #expect(throws: HearthError.self) { try format.grammar() }
        #expect(try OpenAI.ChatCompletionRequest.ResponseFormat(type: "text").grammar() == nil)
        #expect(try OpenAI.ChatCompletionRequest.ResponseFormat(type: "json_object").grammar() == JSONSchemaGrammar.anyObject)
    }
}
