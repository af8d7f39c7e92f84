import Foundation
import HearthCore
import HearthWire
import Testing

@Suite struct WireTests {
    func decodeChat(_ json: String) throws -> GenerationRequest {
        try WireDecoder.decode(OpenAI.ChatCompletionRequest.self, from: Data(json.utf8)).native(defaultModel: "default:1")
    }

    func field(_ json: String) -> String? { errorField { _ = try decodeChat(json) } }

    @Test func chatRequestTranslatesToTheNativeRequest() throws {
        let request = try decodeChat(
            #"{"messages":[{"role":"developer","content":"Be kind."},{"role":"user","content":[{"type":"text","text":"A"},{"type":"text","text":"B"}]},{"role":"assistant","content":null}],"max_completion_tokens":9,"max_tokens":3,"stop":["x","y"],"top_k":5}"#
        )
        #expect(request.model == "default:1")
        #expect(
            request.prompt
                == .chat([
                    .init(role: .system, content: "Be kind."), .init(role: .user, content: "AB"), .init(role: .assistant, content: ""),
                ]))
        #expect(request.params.maxTokens == 9)
        #expect(request.params.stop == ["x", "y"])
        #expect(request.params.topK == 5)
    }

    @Test func errorsNameTheField() {
        #expect(field(#"{"messages":"hi"}"#) == "messages")
        #expect(field(#"{"messages":[{"content":"hi"}]}"#) == "messages[0].role")
        #expect(field(#"{"messages":[{"role":"wizard","content":"hi"}]}"#) == "messages[0].role")
        #expect(field(#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":"ten"}"#) == "max_tokens")
        #expect(field(#"{"messages":[{"role":"user","content":"hi"}],"stop":5}"#) == "stop")
        #expect(field(#"{"messages":[{"role":"user","content":"hi"}],"n":2}"#) == "n")
        #expect(field(#"{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}"#) == "messages[0].content")
    }

    @Test func serverSentEventsParserSplitsEvents() {
        var parser = ServerSentEvents.Parser()
        #expect(parser.feed("data: {\"a\":1}\n\nda") == [#"{"a":1}"#])
        #expect(parser.feed("ta: [DONE]\n\n") == ["[DONE]"])
    }

    @Test func embeddingBase64IsLittleEndianFloat32() throws {
        let list = OpenAI.EmbeddingList(model: "m", result: EmbeddingResult(vectors: [[1.5, -2]], promptTokens: 2), base64: true)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(list)) as? [String: Any]
        let encoded = try #require(((json?["data"] as? [[String: Any]])?.first?["embedding"]) as? String)
        let data = try #require(Data(base64Encoded: encoded))
        let values = stride(from: 0, to: data.count, by: 4).map { offset in
            Float(bitPattern: data[offset..<offset + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) })
        }
        #expect(values == [1.5, -2])
    }
}
