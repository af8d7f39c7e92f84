import Foundation
import HearthCore
import HearthWire
import Testing

@Suite struct OllamaWireTests {
    func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try WireDecoder.decode(type, from: Data(json.utf8))
    }

    func field(_ body: () throws -> Void) -> String? { errorField(body) }

    func object<T: Encodable>(_ value: T) throws -> [String: Any] {
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
        return try #require(json as? [String: Any])
    }

    @Test func chatRequestTranslatesOptionsAndIgnoresUnknownOnes() throws {
        let request = try decode(
            Ollama.ChatRequest.self,
            #"{"model":"smollm2:135m","messages":[{"role":"system","content":"Be kind."},{"role":"user","content":"Hi"},{"role":"assistant"}],"tools":[],"format":{"type":"object"},"think":false,"options":{"temperature":0,"num_predict":16,"stop":["x"],"top_k":5,"seed":-1,"num_gpu":99,"mirostat":0},"keep_alive":"5m"}"#
        )
        #expect(request.streams)
        #expect(request.keepAlive?.seconds == 300)
        let native = try request.native(defaultModel: "default:1")
        #expect(native.model == "smollm2:135m")
        #expect(
            native.prompt
                == .chat([
                    .init(role: .system, content: "Be kind."), .init(role: .user, content: "Hi"), .init(role: .assistant, content: ""),
                ]))
        #expect(native.params.maxTokens == 16)
        #expect(native.params.temperature == 0)
        #expect(native.params.stop == ["x"])
        #expect(native.params.topK == 5)
        #expect(native.params.seed == nil)
        let unlimited = try decode(
            Ollama.ChatRequest.self, #"{"messages":[{"role":"user","content":"Hi"}],"options":{"num_predict":-1},"stream":false}"#)
        #expect(!unlimited.streams)
        #expect(try unlimited.native(defaultModel: "default:1").params.maxTokens == nil)
        #expect(try unlimited.native(defaultModel: "default:1").model == "default:1")
    }

    @Test func chatAndGenerateErrorsNameTheField() {
        func chat(_ json: String) -> String? {
            field { _ = try decode(Ollama.ChatRequest.self, json).native(defaultModel: "m") }
        }
        func generate(_ json: String) -> String? {
            field { _ = try decode(Ollama.GenerateRequest.self, json).native(defaultModel: "m") }
        }
        let hi = #"{"role":"user","content":"Hi"}"#
        #expect(chat(#"{"messages":[\#(hi)],"options":{"temperature":"hot"}}"#) == "options.temperature")
        #expect(chat(#"{"messages":[\#(hi)],"options":{"temperature":9}}"#) == "options.temperature")
        #expect(chat(#"{"messages":[\#(hi)],"tools":[{"type":"function"}]}"#)?.hasPrefix("tools") == true)
        #expect(chat(#"{"messages":[\#(hi)],"keep_alive":"soon"}"#) == "keep_alive")
        #expect(chat(#"{"messages":[{"role":"wizard","content":"Hi"}]}"#) == "messages[0].role")
        #expect(chat(#"{"messages":[{"role":"user","content":"Hi","images":["%%%"]}]}"#) == "messages[0].images")
        #expect(generate(#"{"prompt":"a","suffix":"b"}"#) == "suffix")
        #expect(generate(#"{"prompt":"a","images":["%%%"]}"#) == "images")
        #expect(generate(#"{"prompt":"a","raw":true,"images":["AAAA"]}"#) == "images")
        #expect(generate(#"{"prompt":"a","context":[1,2]}"#) == "context")
        #expect(field { _ = try decode(Ollama.DeleteRequest.self, "{}").modelName() } == "model")
    }

    @Test func generateIsRawTextOrAChatWithTheSystemPrompt() throws {
        let raw = try decode(Ollama.GenerateRequest.self, #"{"model":"m","prompt":"1, 2,","raw":true,"system":"ignored"}"#)
        #expect(try raw.native(defaultModel: "d").prompt == .text("1, 2,"))
        let chat = try decode(Ollama.GenerateRequest.self, #"{"model":"m","prompt":"Hi","system":"Be kind.","template":"{{ .Prompt }}"}"#)
        let messages: [ChatMessage] = [.init(role: .system, content: "Be kind."), .init(role: .user, content: "Hi")]
        #expect(try chat.native(defaultModel: "d").prompt == .chat(messages))
    }

    @Test func requestsWithoutInputOnlyLoadOrUnload() throws {
        #expect(try decode(Ollama.GenerateRequest.self, #"{"model":"m"}"#).isLoadOnly)
        #expect(try decode(Ollama.GenerateRequest.self, #"{"model":"m","prompt":"","keep_alive":0}"#).isUnload)
        #expect(try decode(Ollama.ChatRequest.self, #"{"model":"m","messages":[]}"#).isLoadOnly)
        #expect(try decode(Ollama.ChatRequest.self, #"{"model":"m","messages":[],"keep_alive":-1}"#).isUnload == false)
        #expect(try decode(Ollama.EmbedRequest.self, #"{"model":"m","input":""}"#).isLoadOnly)
        let embed = try decode(Ollama.EmbedRequest.self, #"{"model":"m","input":["a","b"],"options":{"num_ctx":8}}"#)
        #expect(try embed.native(defaultModel: "d").inputs == ["a", "b"])
    }

    @Test func keepAliveAcceptsSecondsAndDurations() throws {
        func seconds(_ json: String) throws -> Double? {
            try decode(Ollama.ChatRequest.self, #"{"keep_alive":\#(json)}"#).keepAlive?.seconds
        }
        #expect(try seconds("300") == 300)
        #expect(try seconds("0") == 0)
        #expect(try seconds("-5") == -1)
        #expect(try seconds(#""5m""#) == 300)
        #expect(try seconds(#""1h30m""#) == 5400)
        #expect(try seconds(#""1.5h""#) == 5400)
        #expect(try seconds(#""250ms""#) == 0.25)
        #expect(try seconds(#""10s""#) == 10)
        #expect(try seconds(#""-1""#) == -1)
        #expect(try seconds(#""-1m""#) == -1)
        #expect(try decode(Ollama.ChatRequest.self, #"{"keep_alive":-1}"#).keepAlive?.seconds == -1)
    }

    @Test func finalChunkCarriesTimingsAndIntermediateChunksOmitThem() throws {
        let chunk = try object(Ollama.ChatResponse(model: "m", content: "Hi"))
        #expect(chunk["done"] as? Bool == false)
        #expect(chunk["done_reason"] == nil && chunk["eval_count"] == nil)
        #expect((chunk["created_at"] as? String)?.hasSuffix("Z") == true)
        let last = try object(
            Ollama.GenerateResponse(
                model: "m", finishReason: .length, usage: Usage(promptTokens: 3, completionTokens: 7),
                timings: .init(total: .milliseconds(1500), promptEval: .milliseconds(500), eval: .seconds(1))))
        #expect(last["done"] as? Bool == true)
        #expect(last["done_reason"] as? String == "length")
        #expect(last["response"] as? String == "")
        #expect(last["total_duration"] as? Int == 1_500_000_000)
        #expect(last["prompt_eval_count"] as? Int == 3)
        #expect(last["eval_count"] as? Int == 7)
        #expect(last["eval_duration"] as? Int == 1_000_000_000)
        #expect(last["context"] == nil)
        #expect(try Ollama.line(Ollama.ErrorBody("boom")) == #"{"error":"boom"}"# + "\n")
    }

    @Test func modelListingsUseOllamaShapes() throws {
        let details = Ollama.ModelDetails(family: "llama", parameters: 134_515_008, quantization: "Q4_1")
        #expect(details.parameterSize == "135M")
        #expect(Ollama.parameterSize(1_235_814_400) == "1.24B")
        #expect(Ollama.parameterSize(27_200_000_000) == "27.2B")
        let tags = try object(
            Ollama.TagsResponse(models: [
                .init(name: "a:b", modified: Date(timeIntervalSince1970: 0), size: 5, digest: "sha256:abc", details: details)
            ]))
        let model = try #require((tags["models"] as? [[String: Any]])?.first)
        #expect(model["digest"] as? String == "abc")
        #expect(model["modified_at"] as? String == "1970-01-01T00:00:00.000Z")
        #expect((model["details"] as? [String: Any])?["quantization_level"] as? String == "Q4_1")
        let info = Ollama.modelInfo(architecture: "llama", parameters: 10, contextLength: 8192, embeddingLength: nil)
        #expect(info["llama.context_length"] == .int(8192))
        #expect(info["llama.embedding_length"] == nil)
        let progress = try object(Ollama.PullProgress.pulling(digest: "sha256:0123456789abcdef", total: 10, completed: 0))
        #expect(progress["status"] as? String == "pulling 0123456789ab")
        #expect(progress["completed"] == nil)
        #expect(try decode(Ollama.ShowRequest.self, #"{"name":"legacy:1"}"#).modelName() == "legacy:1")
    }
}
