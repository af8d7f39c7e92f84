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

/// The OpenAI-compatible provider against a real OpenAI-compatible server on loopback (a
/// Hearth over a scripted model), and the router passing a request on when a deployment fails
/// before its first token.
struct GatewayTests {
    /// A live upstream answering with `provider`; `body` gets its `/v1` base URL.
    func withUpstream(_ provider: ScriptedProvider, _ body: @escaping @Sendable (String) async throws -> Void) async throws {
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model)
        let app = Application(router: HTTPServer.router(services: Services(pipeline: pipeline), metrics: Metrics(), maxBodyBytes: 1 << 20))
        try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(try #require(client.port))/v1")
        }
    }

    static func collect(_ events: AsyncThrowingStream<TokenEvent, any Error>) async throws -> [TokenEvent] {
        var all: [TokenEvent] = []
        for try await event in events { all.append(event) }
        return all
    }

    /// The code of the error `provider` answers a chat request for `model` with; nil when it answers.
    static func refusal(of provider: any InferenceProvider, model: String) async -> HearthError.Code? {
        do {
            _ = try await provider.generate(GenerationRequest(model: model, prompt: .chat([ChatMessage(role: .user, content: "Hi")])))
            return nil
        } catch {
            return (error as? HearthError)?.code
        }
    }

    /// A port nothing listens on.
    static let deadURL = "http://127.0.0.1:9/v1"

    @Test func aRemoteAnswerStreamsBackAndAFailedDeploymentPassesItOn() async throws {
        try await withUpstream(ScriptedProvider(model: "upstream:1b", pieces: ["Hello", ", ", "world"])) { url in
            let dead = OpenAICompatibleProvider(name: "dead", baseURL: Self.deadURL, models: ["upstream:1b"], firstByteTimeout: 5)
            let live = OpenAICompatibleProvider(name: "live", baseURL: url, models: ["upstream:1b"])
            let router = ProviderRouter(
                providers: [dead, live],
                routes: [
                    "team-model": [.init(provider: dead, model: "upstream:1b"), .init(provider: live, model: "upstream:1b")]
                ])
            let request = GenerationRequest(model: "team-model", prompt: .chat([ChatMessage(role: .user, content: "Hi")]))
            let events = try await Self.collect(try await router.generate(request))
            #expect(events.compactMap { if case .text(let piece) = $0 { piece } else { nil } }.joined() == "Hello, world")
            guard case .done(.stop, let usage) = events.last else {
                Issue.record("no end: \(events)")
                return
            }
            #expect(usage.completionTokens == 3)
            // Alone, the dead one is an error that says so.
            await #expect(throws: HearthError.self) {
                _ = try await ProviderRouter(providers: [dead]).generate(GenerationRequest(model: "upstream:1b", prompt: .text("Hi")))
            }
            // The upstream's own refusal comes through: its model is unknown there.
            let lost = OpenAICompatibleProvider(name: "live", baseURL: url, models: ["missing:1b"])
            #expect(await Self.refusal(of: lost, model: "missing:1b") == .modelNotFound)
        }
    }

    @Test func aDeploymentThatAsksForTimeIsLeftAloneThenProbed() async throws {
        let busy = ScriptedProvider(model: "upstream:1b", failure: HearthError(.unavailable, "busy", retryAfter: 30))
        try await withUpstream(busy) { busyURL in
            try await withUpstream(ScriptedProvider(model: "upstream:1b", pieces: ["fine"])) { goodURL in
                let clock = TestClock()
                let first = OpenAICompatibleProvider(name: "busy", baseURL: busyURL, models: ["upstream:1b"])
                let second = OpenAICompatibleProvider(name: "good", baseURL: goodURL, models: ["upstream:1b"])
                let router = ProviderRouter(
                    providers: [first, second],
                    routes: ["m": [.init(provider: first, model: "upstream:1b"), .init(provider: second, model: "upstream:1b")]],
                    now: { clock.now })
                let request = GenerationRequest(model: "m", prompt: .chat([ChatMessage(role: .user, content: "Hi")]))
                for _ in 0..<2 {
                    let choice = RoutingChoice()
                    let events = try await RoutingChoice.$current.withValue(choice) {
                        try await Self.collect(try await router.generate(request))
                    }
                    #expect(events.first == .text("fine"))
                    #expect(choice.provider == "good")
                }
                // Asked once: the 503's Retry-After kept the second request away.
                #expect(busy.requests.count == 1)
                #expect(router.circuits["busy/upstream:1b"] == .open(until: clock.now + 30))
                clock.now += 31
                _ = try await Self.collect(try await router.generate(request))
                #expect(busy.requests.count == 2)  // the probe
            }
        }
    }

    @Test func aPromptGoesWhereItFitsWithoutAskingWhereItDoesNot() async throws {
        let small = ScriptedProvider(model: "upstream:1b", pieces: ["small"])
        try await withUpstream(small) { smallURL in
            try await withUpstream(ScriptedProvider(model: "upstream:1b", pieces: ["large"])) { largeURL in
                let first = OpenAICompatibleProvider(name: "small", baseURL: smallURL, models: ["upstream:1b"])
                let second = OpenAICompatibleProvider(name: "large", baseURL: largeURL, models: ["upstream:1b"])
                let router = ProviderRouter(
                    providers: [first, second],
                    routes: [
                        "m": [
                            .init(provider: first, model: "upstream:1b", context: 4_096),
                            .init(provider: second, model: "upstream:1b", context: 32_768),
                        ]
                    ])
                // About 9,000 tokens of English.
                let long = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 800)
                let request = GenerationRequest(model: "m", prompt: .chat([ChatMessage(role: .user, content: long)]))
                #expect(try await Self.collect(try await router.generate(request)).first == .text("large"))
                #expect(small.requests.isEmpty)
                let short = GenerationRequest(model: "m", prompt: .chat([ChatMessage(role: .user, content: "Hi")]))
                #expect(try await Self.collect(try await router.generate(short)).first == .text("small"))
                let huge = GenerationRequest(
                    model: "m", prompt: .chat([ChatMessage(role: .user, content: String(repeating: long, count: 5))]))
                do {
                    _ = try await router.generate(huge)
                    Issue.record("a prompt that fits nowhere was sent")
                } catch let error as HearthError {
                    #expect(error.code == .contextLengthExceeded)
                }
            }
        }
    }

    @Test func aDeterministicAnswerIsReplayedToItsCallerOnly() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let stores = try TestStores(in: folder)
        let provider = ScriptedProvider(pieces: ["Once", " upon", " a time"])
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model)
        let services = Services(pipeline: pipeline, identity: stores.identity, answerCache: MemoryAnswerCache(capacityBytes: 1 << 20))
        let metrics = Metrics()
        let app = Application(router: HTTPServer.router(services: services, metrics: metrics, maxBodyBytes: 1 << 20))
        let (_, alice, bob) = try await IsolationTests.people(stores.identity)
        let body = #"{"messages":[{"role":"user","content":"A story?"}],"temperature":0,"stream":true}"#
        try await app.test(.router) { client in
            func ask(_ key: String, _ body: String, fresh: Bool = false) async throws -> (String, String?) {
                var headers: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/json"]
                if fresh { headers[.cacheControl] = "no-cache" }
                return try await client.execute(
                    uri: "/v1/chat/completions", method: .post, headers: headers, body: ByteBuffer(string: body)
                ) {
                    (String(buffer: $0.body), $0.headers[HTTPField.Name("X-Hearth-Provider")!])
                }
            }
            func deltas(_ text: String) -> [String] {
                var parser = ServerSentEvents.Parser()
                return parser.feed(text).compactMap { payload in
                    guard let data = payload.data(using: .utf8),
                        let chunk = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                        let choice = (chunk["choices"] as? [[String: Any]])?.first
                    else { return nil }
                    return ((choice["delta"] as? [String: Any])?["content"] as? String) ?? (choice["finish_reason"] as? String)
                }.filter { !$0.isEmpty }
            }
            let (first, firstProvider) = try await ask(alice, body)
            let (again, againProvider) = try await ask(alice, body)
            #expect(firstProvider == "scripted" && againProvider == "cache")
            #expect(deltas(again) == deltas(first) && deltas(first) == ["Once", " upon", " a time", "stop"])
            #expect(provider.requests.count == 1)
            // Another caller, a fresh answer asked for, or sampling at random: the model answers.
            #expect(try await ask(bob, body).1 == "scripted")
            #expect(try await ask(alice, body, fresh: true).1 == "scripted")
            #expect(try await ask(alice, body.replacingOccurrences(of: #""temperature":0"#, with: #""temperature":0.7"#)).1 == "scripted")
            #expect(provider.requests.count == 4)
        }
        let text = metrics.render()
        #expect(text.contains(#"hearth_cache_lookups_total{kind="exact",result="hit"} 1"#), "\(text)")
        #expect(text.contains(#"hearth_cache_lookups_total{kind="exact",result="miss"} 2"#))
    }

    @Test func theMetricsCountAnswersFailuresAndFallbacks() async throws {
        try await withUpstream(ScriptedProvider(model: "upstream:1b", pieces: ["Hi"])) { url in
            let dead = OpenAICompatibleProvider(name: "dead", baseURL: Self.deadURL, models: ["upstream:1b"])
            let live = OpenAICompatibleProvider(name: "live", baseURL: url, models: ["upstream:1b"])
            let router = ProviderRouter(
                providers: [dead, live],
                routes: ["team:latest": [.init(provider: dead, model: "upstream:1b"), .init(provider: live, model: "upstream:1b")]])
            let pipeline = ChatPipeline(router: router, defaultModel: "team")
            let metrics = Metrics()
            let app = Application(
                router: HTTPServer.router(services: Services(pipeline: pipeline), metrics: metrics, maxBodyBytes: 1 << 20))
            try await app.test(.router) { client in
                let provider = try await client.execute(
                    uri: "/v1/chat/completions", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(string: #"{"model":"team","messages":[{"role":"user","content":"Hi"}]}"#)
                ) { $0.headers[HTTPField.Name("X-Hearth-Provider")!] }
                #expect(provider == "live")
            }
            let text = metrics.render()
            #expect(text.contains(#"hearth_provider_answers_total{provider="live"} 1"#), "\(text)")
            #expect(text.contains(#"hearth_provider_failures_total{provider="dead",code="unreachable"} 1"#))
            #expect(text.contains("hearth_fallbacks_total{} 1"))
        }
    }

    @Test func aRoundThatFailedIsRetriedAfterAPauseButNeverAfterTheFirstToken() async throws {
        let flaky = FlakyProvider(failures: 2)
        let retrying = ProviderRouter(
            providers: [flaky], routes: ["m": [.init(provider: flaky, model: "m")]], retries: ["m": 2])
        let request = GenerationRequest(model: "m", prompt: .chat([ChatMessage(role: .user, content: "Hi")]))
        #expect(try await Self.collect(try await retrying.generate(request)).first == .text("at last"))
        #expect(flaky.calls == 3)
        let once = FlakyProvider(failures: 1)
        let router = ProviderRouter(providers: [once], routes: ["m": [.init(provider: once, model: "m")]])
        await #expect(throws: HearthError.self) { _ = try await router.generate(request) }
        // Broken after its first token: the client has part of an answer, nothing is retried.
        let broken = FlakyProvider(failures: 0, breaksAfterFirstToken: true)
        let patient = ProviderRouter(providers: [broken], routes: ["m": [.init(provider: broken, model: "m")]], retries: ["m": 3])
        await #expect(throws: HearthError.self) { _ = try await Self.collect(try await patient.generate(request)) }
        #expect(broken.calls == 1)
        // A long Retry-After is not waited for.
        #expect(ProviderRouter.pause(before: 1, after: HearthError(.rateLimited, "slow down", retryAfter: 60)) == nil)
        #expect(ProviderRouter.pause(before: 1, after: HearthError(.invalidRequest, "bad")) == nil)
    }

    @Test func anAdministratorTestsEveryDeployment() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "probe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let stores = try TestStores(in: folder)
        let (admin, alice, _) = try await IsolationTests.people(stores.identity)
        try await withUpstream(ScriptedProvider(model: "upstream:1b", pieces: ["Hi"])) { url in
            let dead = OpenAICompatibleProvider(name: "dead", baseURL: Self.deadURL, models: ["upstream:1b"])
            let live = OpenAICompatibleProvider(name: "live", baseURL: url, models: ["upstream:1b"])
            let router = ProviderRouter(
                providers: [dead, live],
                routes: ["team:latest": [.init(provider: dead, model: "upstream:1b"), .init(provider: live, model: "upstream:1b")]])
            let services = Services(pipeline: ChatPipeline(router: router, defaultModel: "team"), identity: stores.identity)
            let app = Application(router: HTTPServer.router(services: services, metrics: Metrics(), maxBodyBytes: 1 << 20))
            try await app.test(.router) { client in
                #expect(try await IsolationTests.call(client, .post, "/hearth/providers/test", key: alice).0 == .forbidden)
                let (status, text, _) = try await IsolationTests.call(client, .post, "/hearth/providers/test", key: admin)
                #expect(status == .ok)
                let probes = try JSONDecoder().decode(ProviderProbes.self, from: Data(text.utf8)).deployments
                #expect(probes.map(\.provider) == ["dead", "live"])
                #expect(probes.map(\.ok) == [false, true])
                #expect(probes[0].error?.contains("does not answer") == true)
            }
        }
    }

    @Test func theResponseNamesTheProviderThatAnswered() async throws {
        let provider = ScriptedProvider()
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model)
        let app = Application(router: HTTPServer.router(services: Services(pipeline: pipeline), metrics: Metrics(), maxBodyBytes: 1 << 20))
        try await app.test(.router) { client in
            let header = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"messages":[{"role":"user","content":"Hi"}]}"#)
            ) { $0.headers[HTTPField.Name("X-Hearth-Provider")!] }
            #expect(header == "scripted")
        }
    }

    @Test func toolCallsAndEmbeddingsPassThrough() async throws {
        let call = ToolCall(name: "get_weather", arguments: #"{"city":"Paris"}"#)
        let upstream = ScriptedProvider(
            model: "upstream:1b", turns: [[.toolCall(call), .done(.toolCalls, Usage(promptTokens: 5, completionTokens: 4))]])
        try await withUpstream(upstream) { url in
            let provider = OpenAICompatibleProvider(name: "live", baseURL: url, models: ["upstream:1b"])
            var request = GenerationRequest(model: "upstream:1b", prompt: .chat([ChatMessage(role: .user, content: "Weather?")]))
            request.tools = ToolUse(tools: [Tool(name: "get_weather", parameters: #"{"type":"object"}"#)])
            let events = try await Self.collect(try await provider.generate(request))
            #expect(events.count == 2)
            guard case .toolCall(let got) = events.first, case .done(.toolCalls, let usage) = events.last else {
                Issue.record("\(events)")
                return
            }
            #expect(got.name == call.name && got.arguments == call.arguments && got.id == call.id)
            #expect(usage == Usage(promptTokens: 5, completionTokens: 4))
            let vectors = try await provider.embed(EmbeddingRequest(model: "upstream:1b", inputs: ["a", "bb"]))
            #expect(vectors.vectors.count == 2)
        }
        // The tools went upstream.
        #expect(upstream.requests.first?.tools?.tools.map(\.name) == ["get_weather"])
    }

    @Test func anOllamaServerAnswersThroughItsNativeAPI() async throws {
        let call = ToolCall(name: "get_weather", arguments: #"{"city":"Paris"}"#)
        let upstream = ScriptedProvider(
            model: "upstream:1b",
            turns: [
                [.text("Hello"), .text(", world"), .done(.stop, Usage(promptTokens: 5, completionTokens: 2))],
                [.toolCall(call), .done(.toolCalls, Usage(promptTokens: 6, completionTokens: 3))],
            ])
        try await withUpstream(upstream) { url in
            let provider = OllamaProvider(name: "ollama", baseURL: String(url.dropLast(3)), models: ["upstream:1b"])
            var request = GenerationRequest(
                model: "upstream:1b", prompt: .chat([ChatMessage(role: .user, content: "Hi")]), params: GenerationParams(temperature: 0))
            let words = try await Self.collect(try await provider.generate(request))
            #expect(words == [.text("Hello"), .text(", world"), .done(.stop, Usage(promptTokens: 5, completionTokens: 2))])
            request.tools = ToolUse(tools: [Tool(name: "get_weather", parameters: #"{"type":"object"}"#)])
            let calls = try await Self.collect(try await provider.generate(request))
            guard case .toolCall(let got) = calls.first, case .done(.toolCalls, _) = calls.last else {
                Issue.record("\(calls)")
                return
            }
            #expect(got.name == "get_weather" && got.arguments == call.arguments)
            #expect(try await provider.embed(EmbeddingRequest(model: "upstream:1b", inputs: ["a"])).vectors.count == 1)
            let missing = OllamaProvider(name: "ollama", baseURL: String(url.dropLast(3)), models: ["nope:1b"])
            #expect(await Self.refusal(of: missing, model: "nope:1b") == .modelNotFound)
        }
        #expect(upstream.requests.first?.params.temperature == 0)
        #expect(upstream.requests.last?.tools?.tools.map(\.name) == ["get_weather"])
    }

    @Test func theConfigurationNamesProvidersAndRoutes() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "gateway-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "config.toml")
        try """
        [[providers]]
        name = "backup"
        base_url = "http://10.0.0.5:8080/v1"
        api_key_env = "BACKUP_KEY"

        [[models]]
        name = "smollm2:135m"
        strategy = "weighted"
        deployments = [{ provider = "local", weight = 3 }, { provider = "backup", model = "smollm2" }]

        [[models]]
        name = "team"
        deployments = [{ provider = "backup" }]
        """.write(to: file, atomically: true, encoding: .utf8)
        let configuration = try GatewayConfiguration.load(from: file)
        let router = configuration.router(local: ScriptedProvider(model: "smollm2:135m"), environment: ["BACKUP_KEY": "k"])
        #expect(router.routes["smollm2:135m"]?.map(\.provider.name) == ["scripted", "backup"])
        #expect(router.routes["smollm2:135m"]?.map(\.model) == ["smollm2:135m", "smollm2"])
        #expect(router.routes["smollm2:135m"]?.map(\.weight) == [3, 1])
        #expect(router.strategies["smollm2:135m"] == .weighted)
        // Routed by the name requests carry once canonical; the remote keeps the name as written.
        #expect(router.routes["team:latest"]?.map(\.model) == ["team"])
        #expect(try GatewayConfiguration.load(from: folder.appending(path: "none.toml")) == GatewayConfiguration())
        for broken in [
            "[[providers]]\nname = \"local\"\nbase_url = \"http://x/v1\"", "[[providers]]\nname = \"a\"\nbase_url = \"ftp://x\"",
            "[[models]]\nname = \"m\"\ndeployments = [{ provider = \"nowhere\" }]", "[[models]]\nname = \"m\"\ndeployments = []",
            "[[providers]\nname =", "[[models]]\nname = \"m\"\nstrategy = \"fastest\"\ndeployments = [{ provider = \"local\" }]",
        ] {
            try broken.write(to: file, atomically: true, encoding: .utf8)
            #expect(throws: HearthError.self, "\(broken)") { try GatewayConfiguration.load(from: file) }
        }
    }
}

/// A clock a test moves by hand.
final class TestClock: @unchecked Sendable {
    var now = Date(timeIntervalSince1970: 1_000_000)
}

/// A provider that is unavailable for its first `failures` calls, then answers "at last"
/// (or breaks after its first token).
final class FlakyProvider: InferenceProvider, @unchecked Sendable {
    let name = "flaky"
    private let failures: Int
    private let breaksAfterFirstToken: Bool
    private let count = NSLock()
    private var made = 0

    init(failures: Int, breaksAfterFirstToken: Bool = false) {
        self.failures = failures
        self.breaksAfterFirstToken = breaksAfterFirstToken
    }

    var calls: Int { count.withLock { made } }

    func models() async throws -> [ModelInfo] { [] }
    func loadedModels() async -> [LoadedModel] { [] }
    func serves(_ model: String) async -> Bool { true }
    func embed(_ request: EmbeddingRequest) async throws -> EmbeddingResult { throw HearthError(.unavailable, "no") }
    func preload(_ model: String, keepAlive: TimeInterval?) async throws {}
    func unload(_ model: String) async -> Bool { false }

    func generate(_ request: GenerationRequest) async throws -> AsyncThrowingStream<TokenEvent, any Error> {
        let call = count.withLock {
            made += 1
            return made
        }
        if call <= failures { throw HearthError(.unavailable, "busy") }
        let (stream, continuation) = AsyncThrowingStream<TokenEvent, any Error>.makeStream()
        continuation.yield(.text("at last"))
        if breaksAfterFirstToken {
            continuation.finish(throwing: HearthError(.unreachable, "gone"))
        } else {
            continuation.yield(.done(.stop, Usage(promptTokens: 1, completionTokens: 1)))
            continuation.finish()
        }
        return stream
    }
}
