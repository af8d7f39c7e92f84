import Foundation
import HearthCore
import Testing

@testable import HearthEngine

/// The JSON tool format: what the model is told, the grammar it is held to, and how its
/// answers are read back, piece by piece.
@Suite struct JSONToolFormatTests {
    static let weather = Tool(
        name: "get_weather", description: "Current weather of a city",
        parameters: #"{"type": "object", "properties": {"city": {"type": "string"}, "unit": {"enum": ["C", "F"]}}, "required": ["city"]}"#)
    static let time = Tool(name: "get_time", parameters: "{}")

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func theToolsAreDescribedInTheSystemMessageAndHistoryIsWrittenAsJSON() throws {
        let format = JSONToolFormat(use: ToolUse(tools: [Self.weather, Self.time]))
        let messages = format.messages([
            ChatMessage(role: .system, content: "Be brief."),
            ChatMessage(role: .user, content: "Weather in Oslo?"),
            ChatMessage(
                role: .assistant, content: "", toolCalls: [ToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Oslo"}"#)]),
            ChatMessage(role: .tool, content: "-3 and snow", toolCallID: "call_1", name: "get_weather"),
        ])
        #expect(messages.count == 4)
        #expect(messages[0].role == .system)
        #expect(messages[0].content.contains(#""name": "get_weather""#) && messages[0].content.contains(#""name": "get_time""#))
        #expect(messages[0].content.hasSuffix("Be brief."))
        let call = try json(messages[2].content)["tool_calls"] as? [[String: Any]]
        #expect(call?.first?["name"] as? String == "get_weather")
        #expect((call?.first?["arguments"] as? [String: Any])?["city"] as? String == "Oslo")
        #expect(messages[3].role == .user)
        #expect(messages[3].content == "Result of get_weather: -3 and snow")
        // Without a name, the result's call names the function.
        let unnamed = JSONToolFormat.plain([
            messages[2], ChatMessage(role: .assistant, content: "", toolCalls: [ToolCall(id: "call_2", name: "get_time", arguments: "{}")]),
            ChatMessage(role: .tool, content: "noon", toolCallID: "call_2"),
        ])
        #expect(unnamed.last?.content == "Result of get_time: noon")
        // A caller without a system message gets one.
        let bare = format.messages([ChatMessage(role: .user, content: "Hi")])
        #expect(bare.map(\.role) == [.system, .user])
    }

    @Test func theSchemaOffersAnAnswerOrCallsAsTheChoiceAllows() throws {
        let auto = try json(JSONToolFormat(use: ToolUse(tools: [Self.weather, Self.time])).schema)
        let options = try #require(auto["anyOf"] as? [[String: Any]])
        #expect(options.count == 2)
        #expect((options[0]["required"] as? [String]) == ["response"])
        let calls = try #require((options[1]["properties"] as? [String: Any])?["tool_calls"] as? [String: Any])
        #expect(calls["maxItems"] as? Int == JSONToolFormat.mostCalls)
        #expect(((calls["items"] as? [String: Any])?["anyOf"] as? [Any])?.count == 2)

        let named = try json(
            JSONToolFormat(use: ToolUse(tools: [Self.weather, Self.time], choice: .function("get_time"), parallel: false)).schema)
        #expect(named["anyOf"] == nil)
        let list = try #require((named["properties"] as? [String: Any])?["tool_calls"] as? [String: Any])
        #expect(list["maxItems"] as? Int == 1)
        let item = try #require(list["items"] as? [String: Any])
        let properties = try #require(item["properties"] as? [String: Any])
        #expect((properties["name"] as? [String: Any])?["const"] as? String == "get_time")
        // A schema without a type still asks for an object.
        #expect((properties["arguments"] as? [String: Any])?["type"] as? String == "object")
    }

    @Test func llamaCppTurnsTheSchemaIntoAGrammarWithLittleWhitespace() throws {
        let grammar = try JSONToolFormat(use: ToolUse(tools: [Self.weather], choice: .required)).grammar()
        #expect(grammar.contains("root ::="))
        #expect(grammar.contains(#"space ::= " "?"#))
        #expect(grammar.contains(#"get_weather"#))
        #expect(!grammar.contains(#""\n""#))
        let error = #expect(throws: HearthError.self) {
            try LlamaSchemaGrammar.grammar(for: ##"{"type": "object", "properties": {"x": {"$ref": "#/nowhere"}}}"##, field: "tools")
        }
        #expect(error?.field == "tools")
    }

    @Test func anAnswerStreamsAsItComesEvenWithEscapesSplitBetweenPieces() {
        var answer = JSONToolAnswer()
        var text = ""
        let pieces = [
            #"{"resp"#, #"onse": "Hel"#, #"lo \"w\u00"#, #"e9rld\" \ud83d"#, #"\ude00\n"#, #"bye"}"#,
        ]
        for piece in pieces { text += answer.feed(piece).text }
        #expect(text == "Hello \"wérld\" 😀\nbye")
        let (rest, calls) = answer.finish()
        #expect(rest.isEmpty && calls.isEmpty)
    }

    @Test func callsAreReadAtTheEndWithoutRepeats() throws {
        var answer = JSONToolAnswer()
        let output =
            #"{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}, "#
            + #"{"name": "get_weather", "arguments": {"city": "Oslo"}}, {"name": "get_time", "arguments": {}}]}"#
        for piece in output.split(separator: " ") { #expect(answer.feed(piece + " ").text.isEmpty) }
        let (text, calls) = answer.finish()
        #expect(text.isEmpty)
        #expect(calls.map(\.name) == ["get_weather", "get_time"])
        #expect(try json(calls[0].arguments) as? [String: String] == ["city": "Oslo"])
        #expect(calls[0].id.hasPrefix("call_") && calls[0].id != calls[1].id)
    }

    @Test func anAnswerCutShortIsReturnedAsItStands() {
        var call = JSONToolAnswer()
        _ = call.feed(#"{"tool_calls": [{"name": "get_weather", "argu"#)
        #expect(call.finish().text == #"{"tool_calls": [{"name": "get_weather", "argu"#)
        #expect(call.finish().calls.isEmpty)
        var words = JSONToolAnswer()
        #expect(words.feed(#"{"response": "It is cold and"#).text == "It is cold and")
        #expect(words.finish() == ("", []))
    }
}
