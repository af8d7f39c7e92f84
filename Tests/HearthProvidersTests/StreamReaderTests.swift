import HearthCore
import Testing

@testable import HearthProviders

/// An OpenAI stream read in pieces as the network cuts it: CRLF or LF lines, a character
/// split between two reads, tool-call fragments joined, the usage of the last chunk.
struct StreamReaderTests {
    @Test func readsWhateverTheNetworkCutsAndHowLinesEnd() throws {
        let stream = Array(
            ("data: {\"choices\":[{\"delta\":{\"content\":\"Gr\u{00FC}\u{00DF}e\"}}]}\r\n\r\n"
                + "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}\n\n"
                + "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\":1}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\n"
                + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":5}}\r\n\r\ndata: [DONE]\r\n\r\n").utf8)
        for cut in [1, 2, 3, 7, 30] {
            var reader = StreamReader()
            var events: [TokenEvent] = []
            var start = 0
            while start < stream.count {
                events += try reader.feed(Array(stream[start..<min(start + cut, stream.count)]))
                start += cut
            }
            events += try reader.finish()
            #expect(
                events == [
                    .text("Gr\u{00FC}\u{00DF}e"), .toolCall(ToolCall(id: "call_1", name: "f", arguments: #"{"a":1}"#)),
                    .done(.toolCalls, Usage(promptTokens: 7, completionTokens: 5)),
                ], "cut every \(cut) bytes")
        }
    }

    @Test func anErrorInTheStreamIsAnError() {
        var reader = StreamReader()
        #expect(throws: HearthError.self) { try reader.feed(Array("data: {\"error\":{\"message\":\"boom\"}}\n".utf8)) }
    }

    @Test func anUpstreamThatDoesNotStreamIsReadWhole() throws {
        let body =
            Array(
                #"{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there.","#
                    .utf8) + Array(#""tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},"#.utf8)
            + Array(#""finish_reason":"tool_calls"}],"usage":{"prompt_tokens":10,"completion_tokens":5}}"#.utf8)
        for cut in [1, 13, body.count] {
            var reader = StreamReader()
            var events: [TokenEvent] = []
            var start = 0
            while start < body.count {
                events += try reader.feed(Array(body[start..<min(start + cut, body.count)]))
                start += cut
            }
            events += try reader.finish()
            #expect(
                events == [
                    .text("Hello there."), .toolCall(ToolCall(id: "c1", name: "f", arguments: "{}")),
                    .done(.toolCalls, Usage(promptTokens: 10, completionTokens: 5)),
                ], "cut every \(cut) bytes")
        }
    }

    @Test func anErrorAnsweredWholeIsAnErrorWithItsMessage() throws {
        var reader = StreamReader()
        _ = try reader.feed(Array(#"{"error":{"message":"the model is asleep","type":"server_error"}}"#.utf8))
        let error = #expect(throws: HearthError.self) { try reader.finish() }
        #expect(error?.message.contains("the model is asleep") == true)
    }

    @Test func aBodyThatIsNeitherEventsNorAnAnswerIsAnError() throws {
        for body in ["Hello, I am a web page.", #"{"unexpected":true}"#, ""] {
            var reader = StreamReader()
            _ = try reader.feed(Array(body.utf8))
            #expect(throws: HearthError.self, "\(body)") { try reader.finish() }
        }
    }
}

/// Ollama's NDJSON answer: text, calls whose arguments come as an object (kept as JSON text
/// with sorted keys), the end with its counts; a body cut before `done` is an error.
struct OllamaStreamReaderTests {
    @Test func callsKeepTheirArgumentsAsJSONTextAndTheEndItsCounts() throws {
        var reader = OllamaStreamReader()
        let body =
            #"{"message":{"content":"Let me look."},"done":false}"# + "\n"
            + #"{"message":{"content":"","tool_calls":[{"function":{"name":"weather","arguments":{"units":"C","city":"Oslo","days":2,"hourly":[1.5,null]}}}]},"done":false}"#
            + "\n" + #"{"done":true,"done_reason":"stop","prompt_eval_count":12,"eval_count":7}"# + "\n"
        let events = try reader.feed(Array(body.utf8)) + reader.finish()
        #expect(events.count == 3)
        #expect(events.first == .text("Let me look."))
        guard case .toolCall(let call) = events[1] else { Issue.record("no call in \(events)"); return }
        #expect(call.name == "weather")
        #expect(call.arguments == #"{"city":"Oslo","days":2,"hourly":[1.5,null],"units":"C"}"#)
        #expect(events.last == .done(.toolCalls, Usage(promptTokens: 12, completionTokens: 7)))
        var cut = OllamaStreamReader()
        _ = try cut.feed(Array((#"{"message":{"content":"Hi"},"done":false}"# + "\n").utf8))
        #expect(throws: HearthError.self) { try cut.finish() }
    }
}
