import Foundation
import HearthApp
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
        try await app.test(.live) { client in
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

    @Test func fourConcurrentRequestsAreAllAnswered() async throws {
        let app = try await HearthApplication.build(try Self.configuration())
        try await app.test(.live) { client in
            try await withThrowingTaskGroup(of: String.self) { group in
                for question in ["Name a color.", "Name an animal.", "Name a city.", "Name a fruit."] {
                    group.addTask {
                        let body = #"{"messages":[{"role":"user","content":"\#(question)"}],"temperature":0,"max_tokens":12}"#
                        return try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: body)) {
                            response in
                            let completion = try JSONDecoder().decode(OpenAI.ChatCompletion.self, from: Data(buffer: response.body))
                            return completion.choices[0].message.content
                        }
                    }
                }
                var answers: [String] = []
                for try await answer in group { answers.append(answer) }
                #expect(answers.count == 4)
                #expect(answers.allSatisfy { !$0.isEmpty })
            }
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
