import Foundation
import HearthClient
import HearthCore
import HearthProviders
import HearthTesting
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

    /// llama-server on a free port with smollm2 (`context` tokens, two slots); its /v1 URL.
    static func startLlamaServer(context: Int) throws -> (Process, String) {
        let port = try FreePort.find()
        let process = Process()
        process.executableURL = URL(filePath: LlamaServer.path!)
        process.arguments = [
            "-m", try TestModels.smollm2, "--host", "127.0.0.1", "--port", "\(port)", "-c", "\(context * 2)", "-np", "2", "-t", "1",
            "--metrics",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, "http://127.0.0.1:\(port)")
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
        defer { if llama.isRunning { llama.terminate() } }
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
        defer { if llama.isRunning { llama.terminate() } }
        try await CLITests.withServer(["--parallel", "2", "--context", "4096"]) { _, client, _ in
            try await Self.waitFor(llamaURL, "/health")
            let small = OpenAICompatibleProvider(name: "llama", baseURL: llamaURL + "/v1", models: ["smollm2"])
            let large = OpenAICompatibleProvider(name: "hearth", baseURL: client.address.url + "/v1", models: ["smollm2:135m"])
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
}

/// llama-server from the set-up's llama.cpp build, when it was built (`make test` builds it).
enum LlamaServer {
    static var path: String? {
        let path = CLITests.root.appending(path: ".deps/llama/bin/llama-server").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }
}
