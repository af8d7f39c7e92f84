import Foundation
import HearthApp
import HearthClient
import HearthCore
import HearthTesting
import HearthWire
import Hummingbird
import HummingbirdTesting
import Testing

/// The whole application (`HearthApplication.build`, as `hearth serve` runs it) on a live
/// loopback port with the real smollm2:135m.
@Suite(.serialized) struct ServerTests {
    static func configuration() throws -> Configuration {
        try TestModels.serverConfiguration(parallel: 4, context: 512)
    }

    @Test func chatStreamsOverALiveServer() async throws {
        let app = try await HearthApplication.build(try Self.configuration())
        try await app.test(.live) { live in
            let client = PatientClient(port: try #require(live.port))
            let body =
                #"{"messages":[{"role":"user","content":"Name three colors."}],"temperature":0,"max_tokens":30,"stream":true,"stream_options":{"include_usage":true}}"#
            try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                var parser = ServerSentEvents.Parser()
                let payloads = parser.feed(String(buffer: response.body))
                #expect(payloads.last == "[DONE]")
                let chunks = try payloads.dropLast().map { try JSONDecoder().decode(OpenAI.ChatCompletionChunk.self, from: Data($0.utf8)) }
                let text = chunks.compactMap { $0.choices.first?.delta.content }.joined()
                #expect(["Red", "Blue", "Green"].allSatisfy(text.contains))
                #expect(chunks.last?.usage?.completionTokens ?? 0 > 0)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("hearth_time_to_first_token_seconds_count"))
                #expect(text.contains("hearth_active_sequences"))
            }
        }
    }

    @Test func fourConcurrentRequestsAreAnsweredTogether() async throws {
        let app = try await HearthApplication.build(try Self.configuration())
        try await app.test(.live) { client in
            // Four connections of their own (the test client sends one request at a time).
            let hearth = HearthClient(address: ServerAddress(host: "127.0.0.1", port: try #require(client.port)))
            try await withThrowingTaskGroup(of: String.self) { group in
                for question in ["Name a color.", "Name an animal.", "Name a city.", "Name a fruit."] {
                    group.addTask {
                        var request = OpenAI.ChatCompletionRequest(model: nil, messages: [.init(role: "user", content: question)])
                        request.temperature = 0
                        request.maxTokens = 12
                        return try await hearth.chat(request).choices[0].message.content
                    }
                }
                var answers: [String] = []
                for try await answer in group { answers.append(answer) }
                #expect(answers.count == 4)
                #expect(answers.allSatisfy { !$0.isEmpty })
            }
            // They ran together: decode steps carried 2 to 4 tokens, one per running sequence.
            // One after another, every step would carry a whole prompt or a single token.
            let metrics = try await hearth.metrics()
            func bucket(_ bound: String) -> Int {
                let line = metrics.split(separator: "\n").first {
                    $0.hasPrefix("hearth_batch_size_tokens_bucket") && $0.contains("le=\"\(bound)\"")
                }
                return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
            }
            #expect(bucket("4") - bucket("1") >= 5)
        }
    }

    @Test func startingWithAnUnknownModelFailsClearly() async throws {
        var configuration = try Self.configuration()
        configuration.models = ["nope:1b"]
        await #expect(throws: HearthError.modelNotFound("nope:1b")) {
            _ = try await HearthApplication.build(configuration)
        }
    }
}
