import AsyncHTTPClient
import Foundation
import HearthClient
import HearthCore
import HearthTesting
import HearthWire
import NIOHTTP1
import Testing

/// Two real `hearth serve` replicas sharing one PostgreSQL and one Redis.
@Suite(.serialized, .enabled(if: TestRedis.isInstalled, "Redis is not installed: run `make redis`"))
struct ReplicaTests {
    /// A key as created through `POST /hearth/keys`.
    struct NewKey: Encodable {
        var label: String
        var requestsPerMinute: Int?

        enum CodingKeys: String, CodingKey {
            case label
            case requestsPerMinute = "requests_per_minute"
        }
    }

    /// Runs `body` with `count` replicas of `hearth serve` on one new database and Redis, and
    /// the administrator's key (made by `hearth admin bootstrap` first); stops them by PID after.
    static func withReplicas(_ count: Int, _ body: ([ServerAddress], String) async throws -> Void) async throws {
        let shared = [
            "HEARTH_DATABASE_URL": try await TestPostgres.newDatabase(), "HEARTH_REDIS_URL": try await TestRedis.newDatabase(),
            "HEARTH_CACHE_MB": "16",
        ]
        let homes = try (0..<count).map { _ in try TestModels.home() }
        let bootstrap = try await CLITests.hearth(
            ["admin", "bootstrap"], environment: shared.merging(["HEARTH_HOME": homes[0].path]) { $1 })
        try #require(bootstrap.status == 0, "\(bootstrap.error)")
        let adminKey = bootstrap.output.trimmingCharacters(in: .whitespacesAndNewlines)
        var servers: [Process] = []
        var addresses: [ServerAddress] = []
        defer {
            for server in servers where server.isRunning { server.terminate() }
            for server in servers { server.waitUntilExit() }
            for home in homes { try? FileManager.default.removeItem(at: home) }
        }
        for home in homes {
            let port = try FreePort.find()
            servers.append(
                try CLITests.start(
                    ["serve", "--port", "\(port)", "--context", "1024"], home: home, output: home.appending(path: "server.log"),
                    environment: shared))
            addresses.append(ServerAddress(host: "127.0.0.1", port: port))
        }
        for address in addresses {
            let client = HearthClient(address: address)
            let deadline = ContinuousClock.now + .seconds(120)
            while !(await client.isServing()), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
        }
        do {
            try await body(addresses, adminKey)
        } catch {
            for (home, server) in zip(homes, servers) {
                let log = (try? String(contentsOf: home.appending(path: "server.log"), encoding: .utf8)) ?? ""
                print("replica (\(server.isRunning ? "running" : "exited \(server.terminationStatus)")) wrote:\n\(log.suffix(2_000))")
            }
            throw error
        }
    }

    /// A chat completion at `address` and the answer's headers.
    static func chat(_ question: OpenAI.ChatCompletionRequest, at address: ServerAddress, key: String) async throws
        -> (OpenAI.ChatCompletion, HTTPHeaders)
    {
        var request = HTTPClientRequest(url: "http://\(address.host):\(address.port)/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(try JSONEncoder().encode(question))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        let body = try await response.body.collect(upTo: 1 << 20)
        try #require(response.status == .ok, "\(String(buffer: body))")
        return (try JSONDecoder().decode(OpenAI.ChatCompletion.self, from: body), response.headers)
    }

    @Test func twoReplicasShareLimitsUsageConversationsAndRevocations() async throws {
        try await Self.withReplicas(2) { addresses, adminKey in
            let admins = addresses.map { HearthClient(address: $0, apiKey: adminKey) }

            // A key limited to 8 requests per minute, hammered through both at once: 8 in all.
            let limited = try await admins[0].send(
                "/hearth/keys", method: .POST, body: NewKey(label: "hammered", requestsPerMinute: 8), as: IdentityWire.Key.self)
            let secret = try #require(limited.key)
            let start = ContinuousClock.now
            let outcomes = try await withThrowingTaskGroup(of: HearthError.Code?.self) { group in
                for i in 0..<40 {
                    let client = HearthClient(address: addresses[i % 2], apiKey: secret)
                    group.addTask {
                        do {
                            _ = try await client.models()
                            return nil
                        } catch let error as HearthError {
                            return error.code
                        }
                    }
                }
                return try await group.reduce(into: [HearthError.Code?]()) { $0.append($1) }
            }
            // Exactly 8, unless the hammering took 7.5 s or more (one more is due every 7.5 s).
            let refilled = Int((ContinuousClock.now - start).seconds / 7.5)
            let admitted = outcomes.count { $0 == nil }
            #expect(admitted >= 8 && admitted <= 8 + refilled)
            #expect(outcomes.count { $0 == .rateLimited } == 40 - admitted)

            // Written through one, read through the other: a conversation and the usage.
            let conversation = try await admins[0].send(
                "/hearth/conversations", method: .POST, body: ConversationWire.Change(title: "Shared"),
                as: ConversationWire.Conversation.self)
            var question = OpenAI.ChatCompletionRequest(model: nil, messages: [.init(role: "user", content: "Say hello.")])
            question.maxTokens = 8
            question.temperature = 0
            question.conversation = conversation.id
            let answer = try await admins[0].chat(question)
            let detail = try await admins[1].send("/hearth/conversations/\(conversation.id)", as: ConversationWire.Detail.self)
            #expect(detail.conversation.title == "Shared")
            #expect(detail.messages.map(\.content).contains("Say hello."))
            #expect(detail.messages.last?.content == answer.choices.first?.message.content)
            var tokens = 0
            let deadline = ContinuousClock.now + .seconds(10)
            while tokens < (answer.usage.totalTokens), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                tokens = try await admins[1].usage(by: "user", days: 1).totals.reduce(0) { $0 + $1.promptTokens + $1.completionTokens }
            }
            #expect(tokens == answer.usage.totalTokens)

            // A deterministic answer generated through one is replayed by the other.
            var fresh = OpenAI.ChatCompletionRequest(model: nil, messages: [.init(role: "user", content: "Name a colour.")])
            fresh.maxTokens = 6
            fresh.temperature = 0
            let (first, firstHeaders) = try await Self.chat(fresh, at: addresses[0], key: adminKey)
            let (second, secondHeaders) = try await Self.chat(fresh, at: addresses[1], key: adminKey)
            #expect(firstHeaders["x-hearth-provider"].first != "cache")
            #expect(secondHeaders["x-hearth-provider"].first == "cache")
            #expect(second.choices.first?.message.content == first.choices.first?.message.content)

            // Revoked through one: refused by both within a second.
            let doomed = try await admins[0].send("/hearth/keys", method: .POST, body: NewKey(label: "doomed"), as: IdentityWire.Key.self)
            let users = addresses.map { HearthClient(address: $0, apiKey: doomed.key) }
            for user in users { _ = try await user.models() }  // each replica has it cached now
            _ = try await admins[0].revokeKey(doomed.id)
            let revoked = ContinuousClock.now
            for (index, user) in users.enumerated() {
                var refused = false
                while !refused, ContinuousClock.now - revoked < .seconds(1) {
                    do {
                        _ = try await user.models()
                        try await Task.sleep(for: .milliseconds(20))
                    } catch let error as HearthError where error.code == .unauthorized {
                        refused = true
                    }
                }
                #expect(refused, "replica \(index) still takes the revoked key after 1 s")
            }
        }
    }
}
