import AsyncHTTPClient
import Foundation
import HearthClient
import HearthCore
import HearthTesting
import HearthWire
import Testing

/// A client that leaves, and a server that is told to stop, with the real `hearth serve`.
@Suite(.serialized) struct ShutdownTests {
    /// A raw completion that counts on without an end: only its token limit stops it.
    struct Counting: Encodable, Sendable {
        let prompt = "Count: 1, 2, 3,"
        let temperature = 0.0
        let maxTokens: Int
        var stream = false

        enum CodingKeys: String, CodingKey {
            case prompt, temperature, stream
            case maxTokens = "max_tokens"
        }
    }

    /// Polls the loaded model's status every 100 ms until `condition` holds (at most 2 minutes).
    static func waitFor(_ client: HearthClient, _ condition: (HearthStatus.Model) -> Bool) async throws -> HearthStatus.Model {
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            let model = try #require(try await client.status().models.first)
            if condition(model) || ContinuousClock.now > deadline { return model }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test func aNonStreamingRequestIsCancelledWhenItsClientGoesAway() async throws {
        try await CLITests.withServer(["--parallel", "1", "--context", "4096"]) { _, client, _ in
            let request = Task {
                try await client.send("/v1/completions", method: .POST, body: Counting(maxTokens: 3_000), as: OpenAI.Completion.self)
            }
            _ = try await Self.waitFor(client) { $0.generatedTokens > 20 }
            request.cancel()  // the client closes its connection
            let after = try await Self.waitFor(client) { $0.activeSequences == 0 }
            #expect(after.activeSequences == 0)
            // Left to run it would have generated all 3,000 tokens for nobody.
            #expect(after.generatedTokens < 1_500)
            // The freed sequence serves the next request.
            let next = try await client.send("/v1/completions", method: .POST, body: Counting(maxTokens: 5), as: OpenAI.Completion.self)
            #expect(next.usage?.completionTokens == 5)
        }
    }

    @Test func sigtermStopsTheServerWithinFiveSecondsWhileAStreamRuns() async throws {
        try await CLITests.withServer(["--parallel", "1", "--context", "4096"]) { server, client, _ in
            let stream = Task {
                var pieces = 0
                do {
                    for try await _ in client.stream(
                        "/v1/completions", body: Counting(maxTokens: 2_000, stream: true), as: OpenAI.Completion.self)
                    {
                        pieces += 1
                    }
                    return (pieces, nil as HearthError?)
                } catch let error as HearthError {
                    return (pieces, error)
                }
            }
            _ = try await Self.waitFor(client) { $0.generatedTokens > 20 }
            server.terminate()  // SIGTERM
            let deadline = ContinuousClock.now + .seconds(5)
            while server.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(!server.isRunning, "hearth serve still runs 5 s after SIGTERM")
            await server.exited()
            #expect(server.terminationStatus == 0)
            // The stream in flight ended (cut short, with an error), instead of hanging.
            let (pieces, error) = try await stream.value
            #expect(pieces > 0 && pieces < 2_000)
            #expect(error != nil)
        }
    }

    @Test func sigtermEndsAnOpenEventStreamAndStopsWithinFiveSeconds() async throws {
        try await CLITests.withServer(["--parallel", "1", "--context", "1024"]) { server, client, _ in
            let request = HTTPClientRequest(url: "http://\(client.address.host):\(client.address.port)/hearth/events")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            var body = response.body.makeAsyncIterator()
            let first = try await body.next()
            #expect(first.map { String(buffer: $0) }?.hasPrefix(": connected") == true)
            server.terminate()  // SIGTERM
            let deadline = ContinuousClock.now + .seconds(5)
            while server.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(!server.isRunning, "hearth serve still runs 5 s after SIGTERM with an event stream open")
            await server.exited()
            #expect(server.terminationStatus == 0)
        }
    }
}
