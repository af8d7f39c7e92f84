import Foundation
import HTTPTypes
import HearthClient
import HearthCore
import HearthProviders
import HearthTesting
import HearthWire
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The router in front of real upstreams on loopback, both serving smollm2:135m: llama-server
/// (built from the same llama.cpp source by `make test`) and a second `hearth serve`. A killed
/// upstream's requests go to the other, a prompt goes only where it fits, and a client that
/// leaves ends the upstream's generation.
@Suite(.serialized, .enabled(if: LlamaServer.path != nil, "needs llama-server (make test builds it)"))
struct GatewayLiveTests {

    /// llama-server on a free port with `model` (smollm2 by default; `context` tokens per
    /// slot); its URL.
    static func startLlamaServer(context: Int, slots: Int = 2, threads: Int = 1, model: String? = nil) throws -> (Process, String) {
        let port = try FreePort.find()
        let process = Process()
        process.executableURL = URL(filePath: LlamaServer.path!)
        process.arguments = [
            "-m", try model ?? TestModels.smollm2, "--host", "127.0.0.1", "--port", "\(port)", "-c", "\(context * slots)", "-np",
            "\(slots)",
            "-t", "\(threads)", "--metrics",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, "http://127.0.0.1:\(port)")
    }

    /// Stops a server started here: SIGTERM, then SIGKILL when it is still running 3 s later
    /// (llama-server does not always exit on SIGTERM: every full test run left four behind).
    static func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(3)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Waits until `url` answers `path` with 200.
    static func waitFor(_ url: String, _ path: String) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if let (_, response) = try? await URLSession.shared.data(from: URL(string: url + path)!),
                (response as? HTTPURLResponse)?.statusCode == 200
            {
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw HearthError(.unreachable, "\(url) did not start")
    }

    static func text(_ events: AsyncThrowingStream<TokenEvent, any Error>) async throws -> String {
        var text = ""
        for try await event in events { if case .text(let piece) = event { text += piece } }
        return text
    }

    static func question(_ content: String, maxTokens: Int = 8) -> GenerationRequest {
        GenerationRequest(
            model: "team", prompt: .chat([ChatMessage(role: .user, content: content)]),
            params: GenerationParams(maxTokens: maxTokens, temperature: 0))
    }

    @Test func aKilledUpstreamsRequestsGoToTheOther() async throws {
        let (llama, llamaURL) = try Self.startLlamaServer(context: 1024)
        defer { Self.stop(llama) }
        try await CLITests.withServer(["--parallel", "2", "--context", "1024"]) { _, client, _ in
            try await Self.waitFor(llamaURL, "/health")
            let first = OpenAICompatibleProvider(name: "llama", baseURL: llamaURL + "/v1", models: ["smollm2"])
            let second = OpenAICompatibleProvider(name: "hearth", baseURL: client.address.url + "/v1", models: ["smollm2:135m"])
            let router = ProviderRouter(
                providers: [first, second],
                routes: ["team": [.init(provider: first, model: "smollm2"), .init(provider: second, model: "smollm2:135m")]])
            let choice = RoutingChoice()
            let before = try await RoutingChoice.$current.withValue(choice) {
                try await Self.text(try await router.generate(Self.question("Name a color.")))
            }
            #expect(choice.provider == "llama" && !before.isEmpty)
            kill(llama.processIdentifier, SIGKILL)
            llama.waitUntilExit()
            for _ in 0..<2 {  // the request that meets the dead one, and the next
                let after = RoutingChoice()
                let answer = try await RoutingChoice.$current.withValue(after) {
                    try await Self.text(try await router.generate(Self.question("Name a color.")))
                }
                #expect(after.provider == "hearth" && !answer.isEmpty)
            }
        }
    }

    @Test func aLongPromptGoesWhereItFitsAndALeavingClientEndsTheUpstreamsWork() async throws {
        let (llama, llamaURL) = try Self.startLlamaServer(context: 1024)
        defer { Self.stop(llama) }
        try await CLITests.withServer(["--parallel", "2", "--context", "4096"]) { _, client, _ in
            try await Self.waitFor(llamaURL, "/health")
            let small = OpenAICompatibleProvider(name: "llama", baseURL: llamaURL + "/v1", models: ["smollm2"])
            // Reading 2,500 tokens beside the whole live suite on two slow cores took over the
            // default 120 s to the first byte.
            let large = OpenAICompatibleProvider(
                name: "hearth", baseURL: client.address.url + "/v1", models: ["smollm2:135m"], firstByteTimeout: 600)
            let router = ProviderRouter(
                providers: [small, large],
                routes: [
                    "team": [
                        .init(provider: small, model: "smollm2", context: 1024),
                        .init(provider: large, model: "smollm2:135m", context: 4096),
                    ]
                ])
            // About 2,500 tokens: more than llama-server's slot, less than Hearth's.
            let long = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 240) + "What jumps?"
            let choice = RoutingChoice()
            let answer = try await RoutingChoice.$current.withValue(choice) {
                try await Self.text(try await router.generate(Self.question(long)))
            }
            #expect(choice.provider == "hearth" && !answer.isEmpty)
            let (metrics, _) = try await URLSession.shared.data(from: URL(string: llamaURL + "/metrics")!)
            let processed = String(decoding: metrics, as: UTF8.self).split(separator: "\n").first {
                $0.hasPrefix("llamacpp:prompt_tokens_total")
            }
            #expect(processed?.hasSuffix(" 0") == true, "llama-server read a prompt: \(processed ?? "no metric")")

            // A long answer, left after its first pieces: Hearth's slot is free again soon.
            var story = Self.question("Tell a long story.", maxTokens: 3_000)
            story.model = "smollm2:135m"
            // The stream lives only in this function, as it lives in a response being written.
            func readThreePieces() async throws {
                let events = try await large.generate(story)
                var pieces = 0
                for try await event in events {
                    if case .text = event { pieces += 1 }
                    if pieces == 3 { break }
                }
            }
            try await readThreePieces()
            var busy = -1
            for _ in 0..<50 where busy != 0 {
                try await Task.sleep(for: .milliseconds(100))
                busy = try await client.status().models.first?.activeSequences ?? -1
            }
            #expect(busy == 0, "the upstream still generates for a client that left")
        }
    }

    @Test func leastBusyAndLowestLatencyRouteByWhatTheUpstreamsAreDoing() async throws {
        let (llama, llamaURL) = try Self.startLlamaServer(context: 1024)
        defer { Self.stop(llama) }
        try await CLITests.withServer(["--parallel", "2", "--context", "1024"]) { _, client, _ in
            try await Self.waitFor(llamaURL, "/health")
            let hearth = OpenAICompatibleProvider(name: "hearth", baseURL: client.address.url + "/v1", models: ["smollm2:135m"])
            let llamaProvider = OpenAICompatibleProvider(name: "llama", baseURL: llamaURL + "/v1", models: ["smollm2"])
            let deployments: [ProviderRouter.Deployment] = [
                .init(provider: hearth, model: "smollm2:135m"), .init(provider: llamaProvider, model: "smollm2"),
            ]
            let router = ProviderRouter(
                providers: [hearth, llamaProvider], routes: ["team": deployments, "quick": deployments],
                strategies: ["team": .leastBusy, "quick": .lowestLatency])
            func ask(_ model: String, maxTokens: Int = 4) async throws -> (RoutingChoice, AsyncThrowingStream<TokenEvent, any Error>) {
                let choice = RoutingChoice()
                var request = Self.question("Tell a long story.", maxTokens: maxTokens)
                request.model = model
                let events = try await RoutingChoice.$current.withValue(choice) { try await router.generate(request) }
                return (choice, events)
            }
            // least-busy: while one answer streams from the first, the next goes to the other.
            func whileAStoryStreams() async throws {
                let (first, story) = try await ask("team", maxTokens: 2_000)
                var pieces = story.makeAsyncIterator()
                _ = try await pieces.next()
                let (second, short) = try await ask("team")
                _ = try await Self.text(short)
                #expect(first.provider == "hearth" && second.provider == "llama")
            }
            try await whileAStoryStreams()
            // lowest-latency: each is measured once, then the one whose first token came sooner leads.
            for _ in 0..<2 { _ = try await Self.text(try await ask("quick").1) }
            let report = router.report.filter { $0.model == "quick" }
            let fastest = try #require(report.min { ($0.firstTokenSeconds ?? 99) < ($1.firstTokenSeconds ?? 99) })
            let (third, answer) = try await ask("quick")
            _ = try await Self.text(answer)
            // The deployment asked first (another answers only if it failed).
            #expect((third.failures.first?.provider ?? third.provider) == fastest.provider, "\(report)")
        }
    }

    @Test func aHangupMakesTheServerReadConfigTomlAgain() async throws {
        try await CLITests.withServer(["--context", "512"]) { server, client, home in
            #expect(try await client.status().deployments.isEmpty)
            try """
            [[models]]
            name = "team"
            aliases = ["crew"]
            deployments = [{ provider = "local", model = "smollm2:135m" }]
            """.write(to: home.appending(path: "config.toml"), atomically: true, encoding: .utf8)
            kill(server.processIdentifier, SIGHUP)
            var routed: [String] = []
            for _ in 0..<50 where routed.isEmpty {
                try await Task.sleep(for: .milliseconds(100))
                routed = try await client.status().deployments.map(\.model)
            }
            #expect(routed.sorted() == ["crew:latest", "team:latest"])
            #expect(server.isRunning)
            // A mistake is logged and changes nothing; `hearth reload` says what it is.
            try "[[models]\n".write(to: home.appending(path: "config.toml"), atomically: true, encoding: .utf8)
            kill(server.processIdentifier, SIGHUP)
            try await Task.sleep(for: .milliseconds(300))
            #expect(server.isRunning)
            #expect(try await client.status().deployments.count == 2)
            let reload = try await CLITests.hearth(["reload", "--host", client.address.description])
            #expect(reload.status != 0 && reload.error.contains("config.toml"), "\(reload)")
            let log = try String(contentsOf: home.appending(path: "server.log"), encoding: .utf8)
            #expect(log.contains("config.toml not reloaded"))
        }
    }

    @Test func eachRequestIsTracedOverOTLPWhenAnEndpointIsSet() async throws {
        let received = Mutex<[String]>([])
        let router = Router()
        router.post("/v1/traces") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 22)
            received.withLock { $0.append(String(buffer: body)) }
            return .ok
        }
        let collector = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await collector.test(.live) { collectorClient in
            let endpoint = "http://127.0.0.1:\(try #require(collectorClient.port))"
            let environment = [
                "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json", "OTEL_BSP_SCHEDULE_DELAY": "200",
            ]
            try await CLITests.withServer(["--context", "512"], environment: environment) { _, client, home in
                try """
                [[models]]
                name = "team"
                deployments = [{ provider = "local", model = "nothing:here" }, { provider = "local", model = "smollm2:135m" }]
                """.write(to: home.appending(path: "config.toml"), atomically: true, encoding: .utf8)
                _ = try await client.reload()
                var question = OpenAI.ChatCompletionRequest(model: "team", messages: [.init(role: "user", content: "Hi")])
                question.maxTokens = 2
                let answer = try await client.chat(question)
                #expect(answer.choices.count == 1)
                var traces = ""
                for _ in 0..<50 where !traces.contains("hearth.provider") {
                    try await Task.sleep(for: .milliseconds(200))
                    traces = received.withLock { $0.joined(separator: "\n") }
                }
                #expect(traces.contains("hearth.route") && traces.contains("hearth.provider"), "\(traces.prefix(2_000))")
                #expect(traces.contains("/v1/chat/completions") && traces.contains("nothing:here"))
                #expect(!traces.contains("Bearer"))
            }
        }
    }

    @Test func anUpstreamAnswering503WithRetryAfterIsCooledDownAndProbedBack() async throws {
        let (llama, llamaURL) = try Self.startLlamaServer(context: 1024)
        defer { Self.stop(llama) }
        // One sequence and a queue of one: while both are taken, Hearth answers 503 with Retry-After: 1.
        try await CLITests.withServer(["--parallel", "1", "--context", "1024"], environment: ["HEARTH_QUEUE": "1"]) { _, client, _ in
            try await Self.waitFor(llamaURL, "/health")
            let hearth = OpenAICompatibleProvider(name: "hearth", baseURL: client.address.url + "/v1", models: ["smollm2:135m"])
            let llamaProvider = OpenAICompatibleProvider(name: "llama", baseURL: llamaURL + "/v1", models: ["smollm2"])
            let router = ProviderRouter(
                providers: [hearth, llamaProvider],
                routes: ["team": [.init(provider: hearth, model: "smollm2:135m"), .init(provider: llamaProvider, model: "smollm2")]])
            func ask() async throws -> RoutingChoice {
                let choice = RoutingChoice()
                do {
                    let answer = try await RoutingChoice.$current.withValue(choice) {
                        try await Self.text(try await router.generate(Self.question("Name a color.")))
                    }
                    #expect(!answer.isEmpty)
                } catch {
                    // This test has failed now and then with "does not answer": say why (the detail).
                    Issue.record("\(String(reflecting: error)); failures before: \(choice.failures.map { "\($0.provider) \($0.code)" })")
                    throw error
                }
                return choice
            }
            var story = Self.question("Tell a long story.", maxTokens: 2_000)
            story.model = "smollm2:135m"
            // The story is read in this function only: once it returns, its client has left.
            func whileAStoryIsTold() async throws {
                var pieces = try await hearth.generate(story).makeAsyncIterator()
                _ = try await pieces.next()  // generating now
                var short = story
                short.params.maxTokens = 2
                let queued = Task { try await Self.text(try await hearth.generate(short)) }
                defer { queued.cancel() }
                try await Task.sleep(for: .milliseconds(500))  // waiting behind the story
                let refused = try await ask()
                #expect(refused.provider == "llama")
                #expect(refused.failures.map(\.provider) == ["hearth"] && refused.failures.map(\.code) == ["unavailable"])
                #expect(router.report.first { $0.provider == "hearth" }?.circuit == "open")
                // Cooling down: not asked again within its Retry-After.
                let skipped = try await ask()
                #expect(skipped.provider == "llama" && skipped.failures.isEmpty)
            }
            try await whileAStoryIsTold()
            try await Task.sleep(for: .milliseconds(1_500))
            var probed = try await ask()
            for _ in 0..<20 where probed.provider != "hearth" {  // its slot may take a moment to free
                try await Task.sleep(for: .milliseconds(500))
                probed = try await ask()
            }
            #expect(probed.provider == "hearth")
            #expect(router.report.first { $0.provider == "hearth" }?.circuit == "closed")
        }
    }

    @Test func aPromptOf9000TokensGoesToTheDeploymentWhoseContextFitsWithNoUpstreamError() async throws {
        // gemma3:270m was trained on 32,768 tokens (smollm2 on 8,192, which llama-server caps at).
        let (llama, llamaURL) = try Self.startLlamaServer(context: 16_384, slots: 1, threads: 2, model: try TestModels.gemma3)
        defer { Self.stop(llama) }
        try await CLITests.withServer(["--parallel", "1", "--context", "2048"]) { _, client, _ in
            try await Self.waitFor(llamaURL, "/health")
            let hearth = OpenAICompatibleProvider(name: "hearth", baseURL: client.address.url + "/v1", models: ["smollm2:135m"])
            let llamaProvider = OpenAICompatibleProvider(name: "llama", baseURL: llamaURL + "/v1", models: ["gemma3"])
            let router = ProviderRouter(
                providers: [hearth, llamaProvider],
                routes: [
                    "team": [
                        .init(provider: hearth, model: "smollm2:135m", context: 2_048),
                        .init(provider: llamaProvider, model: "gemma3", context: 16_384),
                    ]
                ])
            let long = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 920) + "What jumps?"
            let choice = RoutingChoice()
            var usage: Usage?
            try await RoutingChoice.$current.withValue(choice) {
                for try await event in try await router.generate(Self.question(long, maxTokens: 4)) {
                    if case .done(_, let used) = event { usage = used }
                }
            }
            #expect(choice.provider == "llama" && choice.failures.isEmpty)
            #expect((usage?.promptTokens ?? 0) >= 9_000, "\(String(describing: usage))")
            // Hearth never saw it: no request reached its chat route.
            let metrics = try await client.metrics()
            #expect(!metrics.contains(#"route="/v1/chat/completions""#), "\(metrics)")
        }
    }
}

/// llama-server from the set-up's llama.cpp build, when it was built (`make test` builds it).
enum LlamaServer {
    static var path: String? {
        let path = CLITests.root.appending(path: ".deps/llama/bin/llama-server").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }
}
