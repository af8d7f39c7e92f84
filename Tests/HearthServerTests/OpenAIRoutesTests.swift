import Foundation
import HTTPTypes
import HearthCore
import HearthProviders
import HearthServer
import HearthServices
import HearthTesting
import HearthWire
import Hummingbird
import HummingbirdTesting
import Testing

/// The `/v1/*` handlers over a scripted provider: wire shapes, errors, auth and limits.
@Suite struct OpenAIRoutesTests {
    static func app(
        _ provider: ScriptedProvider = ScriptedProvider(), keys: [String] = [], maxBody: Int = 1 << 20, logs: CapturedLogs = CapturedLogs()
    )
        -> some ApplicationProtocol
    {
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model)
        return Application(
            router: HTTPServer.router(
                services: Services(pipeline: pipeline, identity: IdentityService(staticKeys: keys)), metrics: Metrics(),
                maxBodyBytes: maxBody),
            logger: logs.logger())
    }

    /// The body as a JSON object; records an issue (and returns empty) when it is not one.
    static func json(_ buffer: ByteBuffer) -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] else {
            Issue.record("not a JSON object: \(String(buffer: buffer))")
            return [:]
        }
        return object
    }

    /// The `error` object of an OpenAI error body.
    static func error(_ buffer: ByteBuffer) -> [String: Any] {
        json(buffer)["error"] as? [String: Any] ?? [:]
    }

    @Test func chatCompletionAnswersInOpenAIShape() async throws {
        let provider = ScriptedProvider()
        try await Self.app(provider).test(.router) { client in
            let body =
                #"{"model":"scripted:test","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi"}]}],"temperature":0.5,"stop":"x","seed":3}"#
            try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                let object = Self.json(response.body)
                #expect(object["object"] as? String == "chat.completion")
                let choice = try #require((object["choices"] as? [[String: Any]])?.first)
                #expect((choice["message"] as? [String: Any])?["content"] as? String == "Hello, world")
                #expect(choice["finish_reason"] as? String == "stop")
                #expect((object["usage"] as? [String: Any])?["total_tokens"] as? Int == 10)
            }
        }
        let request = try #require(provider.requests.first)
        #expect(request.prompt == .chat([ChatMessage(role: .system, content: "Be brief."), ChatMessage(role: .user, content: "Hi")]))
        #expect(request.params.temperature == 0.5)
        #expect(request.params.stop == ["x"])
        #expect(request.params.seed == 3)
    }

    @Test func streamingSendsChunksUsageAndDone() async throws {
        try await Self.app().test(.router) { client in
            let body = #"{"messages":[{"role":"user","content":"Hi"}],"stream":true,"stream_options":{"include_usage":true}}"#
            try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/event-stream")
                var parser = ServerSentEvents.Parser()
                let payloads = parser.feed(String(buffer: response.body))
                #expect(payloads.last == "[DONE]")
                let chunks = try payloads.dropLast().map {
                    try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
                }
                let text = chunks.compactMap {
                    (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String
                }.joined()
                #expect(text == "Hello, world")
                let usage = try #require(chunks.last?["usage"] as? [String: Any])
                #expect(usage["completion_tokens"] as? Int == 3)
                #expect((chunks.last?["choices"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test func completionsDefaultToSixteenTokensAndHonourMaxTokens() async throws {
        let provider = ScriptedProvider()
        try await Self.app(provider).test(.router) { client in
            try await client.execute(uri: "/v1/completions", method: .post, body: ByteBuffer(string: #"{"prompt":"Once","max_tokens":2}"#))
            { response in
                let choice = try #require((Self.json(response.body)["choices"] as? [[String: Any]])?.first)
                #expect(choice["text"] as? String == "Hello, ")
                #expect(choice["finish_reason"] as? String == "length")
            }
        }
        #expect(provider.requests.first?.prompt == .text("Once"))
    }

    @Test func embeddingsAcceptStringOrArrayAndBase64() async throws {
        try await Self.app().test(.router) { client in
            try await client.execute(uri: "/v1/embeddings", method: .post, body: ByteBuffer(string: #"{"input":["ab","abcd"]}"#)) {
                response in
                let data = try #require(Self.json(response.body)["data"] as? [[String: Any]])
                #expect(data.count == 2)
                #expect((data[1]["embedding"] as? [Double])?.first == 4)
            }
            try await client.execute(
                uri: "/v1/embeddings", method: .post, body: ByteBuffer(string: #"{"input":"abc","encoding_format":"base64"}"#)
            ) { response in
                let data = try #require(Self.json(response.body)["data"] as? [[String: Any]])
                let encoded = try #require(data.first?["embedding"] as? String)
                let bytes = try #require(Data(base64Encoded: encoded))
                #expect(bytes.count == 12)
                let first = bytes.prefix(4).withUnsafeBytes { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
                #expect(first == 3)
            }
        }
    }

    @Test func modelsListsTheProvidersModels() async throws {
        try await Self.app().test(.router) { client in
            try await client.execute(uri: "/v1/models", method: .get) { response in
                let data = try #require(Self.json(response.body)["data"] as? [[String: Any]])
                #expect(data.map { $0["id"] as? String } == ["scripted:test"])
            }
            try await client.execute(uri: "/v1/models/nope:1", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func unknownModelIs404ModelNotFound() async throws {
        try await Self.app().test(.router) { client in
            try await client.execute(
                uri: "/v1/chat/completions", method: .post,
                body: ByteBuffer(string: #"{"model":"nope:1b","messages":[{"role":"user","content":"Hi"}]}"#)
            ) { response in
                #expect(response.status == .notFound)
                let error = Self.error(response.body)
                #expect(error["code"] as? String == "model_not_found")
                #expect(error["type"] as? String == "invalid_request_error")
            }
        }
    }

    @Test func malformedJSONAndWrongTypesAre400NamingTheField() async throws {
        try await Self.app().test(.router) { client in
            try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: "{not json")) { response in
                #expect(response.status == .badRequest)
                #expect(Self.error(response.body)["message"] as? String == "the request body is not valid JSON")
            }
            try await client.execute(
                uri: "/v1/chat/completions", method: .post,
                body: ByteBuffer(string: #"{"messages":[{"role":"user","content":"Hi"}],"temperature":"hot"}"#)
            ) { response in
                #expect(response.status == .badRequest)
                #expect(Self.error(response.body)["param"] as? String == "temperature")
            }
            try await client.execute(
                uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: #"{"messages":[{"role":"user","content":5}]}"#)
            ) { response in
                #expect(response.status == .badRequest)
                #expect(Self.error(response.body)["param"] as? String == "messages[0].content")
            }
            try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: #"{"model":"scripted:test"}"#)) {
                response in
                #expect(response.status == .badRequest)
                #expect(Self.error(response.body)["param"] as? String == "messages")
            }
            try await client.execute(
                uri: "/v1/chat/completions", method: .post,
                body: ByteBuffer(string: #"{"messages":[{"role":"user","content":"Hi"}],"temperature":7}"#)
            ) { response in
                #expect(response.status == .badRequest)
                #expect(Self.error(response.body)["param"] as? String == "temperature")
            }
        }
    }

    @Test func contextOverflowIs400ContextLengthExceeded() async throws {
        let provider = ScriptedProvider(failure: .contextLengthExceeded(promptTokens: 5000, contextSize: 2048))
        try await Self.app(provider).test(.router) { client in
            for stream in [false, true] {
                let body = #"{"messages":[{"role":"user","content":"long"}],"stream":\#(stream)}"#
                try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .badRequest)
                    #expect(Self.error(response.body)["code"] as? String == "context_length_exceeded")
                }
            }
        }
    }

    @Test func oversizeBodyIs413() async throws {
        try await Self.app(maxBody: 1024).test(.router) { client in
            let big = String(repeating: "a", count: 4096)
            try await client.execute(
                uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: #"{"messages":[{"role":"user","content":"\#(big)"}]}"#)
            ) { response in
                #expect(response.status == .contentTooLarge)
                #expect(Self.error(response.body)["code"] as? String == "request_too_large")
            }
        }
    }

    @Test func apiKeysAreRequiredWhenConfigured() async throws {
        try await Self.app(keys: ["s3cret"]).test(.router) { client in
            try await client.execute(uri: "/v1/models", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(Self.error(response.body)["code"] as? String == "invalid_api_key")
            }
            try await client.execute(uri: "/v1/models", method: .get, headers: [.authorization: "Bearer wrong"]) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/models", method: .get, headers: [.authorization: "Bearer s3cret"]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func unknownRouteAnswersInOpenAIShape() async throws {
        try await Self.app().test(.router) { client in
            try await client.execute(uri: "/v1/nothing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(Self.error(response.body)["code"] as? String == "not_found")
            }
        }
    }

    @Test func metricsCountRequestsAndTokens() async throws {
        try await Self.app().test(.router) { client in
            try await client.execute(
                uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: #"{"messages":[{"role":"user","content":"Hi"}]}"#)
            ) { _ in }
            try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: "{")) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"hearth_http_requests_total{method="POST",route="/v1/chat/completions",status="200"} 1"#))
                #expect(text.contains(#"hearth_http_requests_total{method="POST",route="/v1/chat/completions",status="400"} 1"#))
                #expect(text.contains(#"hearth_completion_tokens_total{model="scripted:test"} 3"#))
                #expect(text.contains("hearth_time_to_first_token_seconds_count"))
                #expect(text.contains("hearth_http_request_duration_seconds_bucket"))
            }
        }
    }
}

@Suite struct QueueAndStatusTests {
    @Test func aFullQueueIs503WithRetryAfter() async throws {
        let provider = ScriptedProvider(failure: HearthError(.queueFull, "busy"))
        try await OpenAIRoutesTests.app(provider).test(.router) { client in
            try await client.execute(
                uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: #"{"messages":[{"role":"user","content":"Hi"}]}"#)
            ) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "1")
                #expect(OpenAIRoutesTests.error(response.body)["code"] as? String == "queue_full")
            }
        }
    }

    @Test func anUnloadingModelIs503WithRetryAfter() async throws {
        let provider = ScriptedProvider(failure: HearthError(.unavailable, "the model is unloading; try again in a moment"))
        try await OpenAIRoutesTests.app(provider).test(.router) { client in
            let body = ByteBuffer(string: #"{"messages":[{"role":"user","content":"Hi"}]}"#)
            try await client.execute(uri: "/v1/chat/completions", method: .post, body: body) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "1")
                #expect(OpenAIRoutesTests.error(response.body)["code"] as? String == "unavailable")
            }
            try await client.execute(uri: "/api/chat", method: .post, body: body) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("unloading"))
            }
        }
    }

    @Test func everyAnswerCarriesItsRequestID() async throws {
        try await OpenAIRoutesTests.app().test(.router) { client in
            let name = HTTPField.Name("X-Request-Id")!
            try await client.execute(uri: "/health", method: .get, headers: [name: "trace-42"]) { response in
                #expect(response.headers[name] == "trace-42")
            }
            try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: [name: "bad id with spaces"], body: ByteBuffer(string: "{")
            ) { response in
                #expect(response.status == .badRequest)
                let id = response.headers[name] ?? ""
                #expect(id.count == 16 && id.allSatisfy(\.isHexDigit))
            }
        }
    }

    @Test func oneLogLinePerRequestWithModelAndTokensAndDetailsOnlyInTheLog() async throws {
        let logs = CapturedLogs()
        try await OpenAIRoutesTests.app(logs: logs).test(.router) { client in
            let body = ByteBuffer(string: #"{"messages":[{"role":"user","content":"Hi"}],"stream":true}"#)
            try await client.execute(uri: "/v1/chat/completions", method: .post, body: body) { response in
                #expect(response.status == .ok)
            }
        }
        let lines = logs.all.filter { $0.message == "request" }
        #expect(lines.count == 1)
        #expect(lines.first?.metadata["hearth.model"] == "scripted:test")
        #expect(lines.first?.metadata["hearth.status"] == "200")
        #expect(lines.first?.metadata["hearth.tokens.completion"] == "3")
        #expect(lines.first?.metadata["hearth.request.id"]?.count == 16)

        let failing = ScriptedProvider(
            failure: HearthError(.internalError, "the store failed", detail: "/srv/hearth/secret.sqlite: disk I/O"))
        let failures = CapturedLogs()
        try await OpenAIRoutesTests.app(failing, logs: failures).test(.router) { client in
            let body = ByteBuffer(string: #"{"messages":[{"role":"user","content":"Hi"}]}"#)
            try await client.execute(uri: "/v1/chat/completions", method: .post, body: body) { response in
                #expect(response.status == .internalServerError)
                #expect(!String(buffer: response.body).contains("secret"))
                #expect(OpenAIRoutesTests.error(response.body)["message"] as? String == "the store failed")
            }
        }
        let logged = failures.all.first { $0.message == "request failed" }
        #expect(logged?.level == .error)
        #expect(logged?.metadata["hearth.error"]?.contains("/srv/hearth/secret.sqlite") == true)
    }

    @Test func statusListsLoadedModelsWithSlotsAndContext() async throws {
        try await OpenAIRoutesTests.app().test(.router) { client in
            try await client.execute(uri: "/hearth/status", method: .get) { response in
                let status = try JSONDecoder().decode(HearthStatus.self, from: Data(buffer: response.body))
                #expect(status.models.map(\.name) == ["scripted:test"])
                #expect(status.models.first?.parallel == 1)
                #expect(status.models.first?.contextPerSequence == 100)
                #expect(status.models.first?.draftTokens == 0 && status.models.first?.draftTokensAccepted == 0)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                for name in [
                    "hearth_queued_requests", "hearth_active_sequences", "hearth_prompt_cache_hit_ratio",
                    "hearth_batch_size_tokens_bucket", "hearth_generation_tokens_per_second", "hearth_prompt_tokens_per_second",
                    "hearth_draft_tokens_total", "hearth_draft_tokens_accepted_total",
                ] {
                    #expect(text.contains(name + "{model=\"scripted:test\""))
                }
            }
        }
    }
}
