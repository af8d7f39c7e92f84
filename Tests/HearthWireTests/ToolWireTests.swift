import Foundation
import HearthCore
import HearthWire
import Testing

/// Tools, tool choices and calls on the OpenAI and Ollama wires.
@Suite struct ToolWireTests {
    static let weather =
        #"{"type":"function","function":{"name":"get_weather","description":"Weather now","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}"#

    func openAI(_ json: String) throws -> GenerationRequest {
        try WireDecoder.decode(OpenAI.ChatCompletionRequest.self, from: Data(json.utf8)).native(defaultModel: "m")
    }

    func field(_ body: () throws -> Void) -> String? { errorField(body) }

    @Test func openAIToolsChoicesAndHistoryBecomeNative() throws {
        let request = try openAI(
            #"{"messages":[{"role":"user","content":"Oslo?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"-3"}],"tools":[\#(Self.weather)],"tool_choice":{"type":"function","function":{"name":"get_weather"}},"parallel_tool_calls":false}"#
        )
        let tools = try #require(request.tools)
        #expect(tools.choice == .function("get_weather"))
        #expect(!tools.parallel)
        #expect(tools.tools.map(\.name) == ["get_weather"])
        let schema = try JSONSerialization.jsonObject(with: Data(tools.tools[0].parameters.utf8)) as? [String: Any]
        #expect(schema?["required"] as? [String] == ["city"])
        guard case .chat(let messages) = request.prompt else { throw HearthError.invalidRequest("not a chat") }
        #expect(messages[1].toolCalls == [ToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Oslo"}"#)])
        #expect(messages[2].role == .tool && messages[2].toolCallID == "call_1")
        #expect(
            try openAI(#"{"messages":[{"role":"user","content":"hi"}],"tools":[\#(Self.weather)],"tool_choice":"required"}"#).tools?.choice
                == .required)
        #expect(try openAI(#"{"messages":[{"role":"user","content":"hi"}],"tools":[\#(Self.weather)]}"#).tools?.choice == .auto)
    }

    @Test func toolSchemasHaveOneKeyOrderWhateverTheClientSent() throws {
        let one = try openAI(
            #"{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"required":["b"],"properties":{"b":{"description":"B","type":"string"},"a":{"type":"integer"}},"type":"object"}}}]}"#
        )
        let other = try openAI(
            #"{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string","description":"B"}},"required":["b"]}}}]}"#
        )
        let text = try #require(one.tools?.tools.first?.parameters)
        #expect(text == other.tools?.tools.first?.parameters)
        #expect(
            text == #"{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string","description":"B"}},"required":["b"]}"#)
    }

    @Test func badToolsAndChoicesNameTheirField() {
        let hi = #""messages":[{"role":"user","content":"hi"}]"#
        #expect(field { _ = try openAI(#"{\#(hi),"tools":[\#(Self.weather)],"tool_choice":"sometimes"}"#) } == "tool_choice")
        #expect(
            field { _ = try openAI(#"{\#(hi),"tools":[\#(Self.weather)],"tool_choice":{"type":"function","function":{"name":"fly"}}}"#) }
                == "tool_choice")
        #expect(field { _ = try openAI(#"{\#(hi),"tool_choice":"required"}"#) } == "tool_choice")
        #expect(field { _ = try openAI(#"{\#(hi),"tools":[\#(Self.weather),\#(Self.weather)]}"#) } == "tools")
        #expect(field { _ = try openAI(#"{\#(hi),"tools":[{"type":"function","function":{"name":"has space"}}]}"#) } == "tools")
        #expect(field { _ = try openAI(#"{\#(hi),"tools":[{"type":"function","function":{"name":"f","parameters":[1]}}]}"#) } == "tools")
        #expect(
            field { _ = try openAI(#"{\#(hi),"tools":[\#(Self.weather)],"response_format":{"type":"json_object"}}"#) } == "response_format")
        #expect(field { _ = try openAI(#"{"messages":[{"role":"tool","content":"-3"}]}"#) } == "messages[0].tool_call_id")
        // Tools not offered leave room for a format.
        #expect(
            field { _ = try openAI(#"{\#(hi),"tools":[\#(Self.weather)],"tool_choice":"none","response_format":{"type":"json_object"}}"#) }
                == nil)
    }

    @Test func openAIAnswersCarryCallsAndNullContent() throws {
        let call = ToolCall(id: "call_9", name: "get_weather", arguments: #"{"city":"Oslo"}"#)
        let answer = OpenAI.ChatCompletion(
            id: "x", created: 1, model: "m", text: "", toolCalls: [call], finishReason: .toolCalls,
            usage: Usage(promptTokens: 1, completionTokens: 2))
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(answer)) as? [String: Any])
        let choice = try #require((json["choices"] as? [[String: Any]])?.first)
        #expect(choice["finish_reason"] as? String == "tool_calls")
        let message = try #require(choice["message"] as? [String: Any])
        #expect(message["content"] is NSNull)
        let calls = try #require(message["tool_calls"] as? [[String: Any]])
        #expect(calls.first?["id"] as? String == "call_9" && calls.first?["type"] as? String == "function")
        #expect((calls.first?["function"] as? [String: String]) == ["name": "get_weather", "arguments": #"{"city":"Oslo"}"#])
        let deltas = OpenAI.ToolCallDelta.pieces(of: call, index: 2)
        #expect(deltas.map(\.index) == [2, 2])
        #expect(deltas[0].id == "call_9" && deltas[0].function.name == "get_weather" && deltas[0].function.arguments == "")
        #expect(deltas[1].id == nil && deltas[1].function.arguments == call.arguments)
    }

    @Test func ollamaToolsAndCallsUseObjectsForArguments() throws {
        let request = try WireDecoder.decode(
            Ollama.ChatRequest.self,
            from: Data(
                #"{"messages":[{"role":"user","content":"Oslo?"},{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Oslo"}}}]},{"role":"tool","content":"-3","tool_name":"get_weather"}],"tools":[\#(Self.weather)]}"#
                    .utf8)
        ).native(defaultModel: "m")
        #expect(request.tools?.tools.map(\.name) == ["get_weather"])
        guard case .chat(let messages) = request.prompt else { throw HearthError.invalidRequest("not a chat") }
        #expect(messages[1].toolCalls?.first?.name == "get_weather")
        #expect(messages[1].toolCalls?.first?.arguments == #"{"city":"Oslo"}"#)
        #expect(messages[2].name == "get_weather")
        let chunk = Ollama.ChatResponse(
            model: "m", content: "", toolCalls: [ToolCall(name: "get_weather", arguments: #"{"city":"Oslo"}"#)], firstCall: 1)
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(chunk)) as? [String: Any])
        let call = try #require(((json["message"] as? [String: Any])?["tool_calls"] as? [[String: Any]])?.first)
        let function = try #require(call["function"] as? [String: Any])
        #expect(function["index"] as? Int == 1)
        #expect(function["arguments"] as? [String: String] == ["city": "Oslo"])
    }
}
