import Foundation
import HearthCore
import Testing

@testable import HearthProviders

/// What Hearth sends an upstream for a generation: the fields OpenAI's and Ollama's APIs
/// name, only the parameters the request set, tool schemas as JSON objects.
struct UpstreamBodyTests {
    static let request: GenerationRequest = {
        var request = GenerationRequest(
            model: "up-model",
            prompt: .chat([
                ChatMessage(role: .system, content: "Be brief."),
                ChatMessage(
                    role: .assistant, content: "", toolCalls: [ToolCall(id: "call_1", name: "weather", arguments: #"{"city":"Oslo"}"#)]),
                ChatMessage(role: .tool, content: "-3 C", toolCallID: "call_1", name: "weather"),
            ]))
        request.params.temperature = 0.5
        request.params.maxTokens = 20
        request.params.stop = ["END"]
        request.tools = ToolUse(
            tools: [
                Tool(name: "weather", description: "Weather now", parameters: #"{"type":"object","properties":{"city":{"type":"string"}}}"#)
            ],
            choice: .function("weather"), parallel: false)
        return request
    }()

    static func object(_ body: some Encodable) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(body)) as? [String: Any])
    }

    @Test func anOpenAIChatCarriesTheMessagesToolsAndSetParametersOnly() throws {
        guard case .chat(let messages) = Self.request.prompt else { return }
        let body = try Self.object(try OpenAICompatibleProvider.Body(Self.request, messages: messages))
        #expect(body["model"] as? String == "up-model")
        #expect(body["stream"] as? Bool == true)
        #expect((body["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
        #expect(body["temperature"] as? Double == 0.5)
        #expect(body["max_tokens"] as? Int == 20)
        #expect(body["stop"] as? [String] == ["END"])
        #expect(body["top_p"] == nil && body["seed"] == nil && body["prompt"] == nil)
        let sent = try #require(body["messages"] as? [[String: Any]])
        #expect(sent.count == 3)
        #expect(sent[1]["content"] is NSNull)
        let call = try #require((sent[1]["tool_calls"] as? [[String: Any]])?.first)
        #expect(call["id"] as? String == "call_1" && call["type"] as? String == "function")
        #expect((call["function"] as? [String: Any])?["arguments"] as? String == #"{"city":"Oslo"}"#)
        #expect(sent[2]["tool_call_id"] as? String == "call_1" && sent[2]["name"] as? String == "weather")
        let tool = try #require((body["tools"] as? [[String: Any]])?.first?["function"] as? [String: Any])
        #expect((tool["parameters"] as? [String: Any])?["type"] as? String == "object")
        #expect(body["parallel_tool_calls"] as? Bool == false)
        #expect(((body["tool_choice"] as? [String: Any])?["function"] as? [String: Any])?["name"] as? String == "weather")
    }

    @Test func anOllamaChatSendsOptionsAndObjectArguments() throws {
        guard case .chat(let messages) = Self.request.prompt else { return }
        var body = OllamaProvider.Body(model: "up-model", options: .init(Self.request.params))
        body.messages = messages.map(OllamaProvider.Message.init)
        let object = try Self.object(body)
        let options = try #require(object["options"] as? [String: Any])
        #expect(options["num_predict"] as? Int == 20 && options["temperature"] as? Double == 0.5 && options["top_k"] == nil)
        let sent = try #require(object["messages"] as? [[String: Any]])
        let call = try #require((sent[1]["tool_calls"] as? [[String: Any]])?.first?["function"] as? [String: Any])
        #expect((call["arguments"] as? [String: Any])?["city"] as? String == "Oslo")
        #expect(sent[2]["tool_name"] as? String == "weather")
        #expect(sent[0]["tool_name"] == nil)
    }
}
