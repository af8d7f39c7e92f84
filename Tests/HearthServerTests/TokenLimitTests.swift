import Foundation
import HearthCore
import HearthProviders
import HearthSQLite
import HearthServer
import HearthServices
import HearthTesting
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Tokens per minute and day budgets with real concurrent requests over HTTP: what is
/// reserved before generating and what is in flight never exceed a limit.
struct TokenLimitTests {
    let folder = FileManager.default.temporaryDirectory.appending(path: "tokens-\(UUID().uuidString)")

    /// Answers like `ScriptedProvider`, but holds every generation until `open()`: all the
    /// requests admitted are in flight at once.
    final class GatedProvider: InferenceProvider {
        let name = "gated"
        let inner = ScriptedProvider()
        private let gate = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))
        let started = Atomic<Int>(0)

        func open() {
            let waiting = gate.withLock { gate in
                gate.open = true
                defer { gate.waiting = [] }
                return gate.waiting
            }
            for continuation in waiting { continuation.resume() }
        }

        func models() async throws -> [ModelInfo] { try await inner.models() }
        func loadedModels() async -> [LoadedModel] { await inner.loadedModels() }
        func serves(_ model: String) async -> Bool { await inner.serves(model) }
        func preload(_ model: String, keepAlive: TimeInterval?) async throws {}
        func unload(_ model: String) async -> Bool { false }
        func embed(_ request: EmbeddingRequest) async throws -> EmbeddingResult { try await inner.embed(request) }

        func generate(_ request: GenerationRequest) async throws -> AsyncThrowingStream<TokenEvent, any Error> {
            started.add(1, ordering: .relaxed)
            await withCheckedContinuation { continuation in
                let resume = gate.withLock { gate in
                    if !gate.open { gate.waiting.append(continuation) }
                    return gate.open
                }
                if resume { continuation.resume() }
            }
            return try await inner.generate(request)
        }
    }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    func identity() throws -> (IdentityService, UsageService) {
        let store = try SQLiteKnowledgeStore(
            path: folder.appending(path: "knowledge.sqlite"), indexFolder: folder.appending(path: "vectors"))
        let identityStore = SQLiteIdentityStore(store)
        let identity = IdentityService(
            store: identityStore, audit: identityStore, secret: try IdentityService.secret(at: folder.appending(path: "server.secret")))
        return (identity, UsageService(store: identityStore))
    }

    func app(_ provider: some InferenceProvider, _ identity: IdentityService, _ usage: UsageService) -> some ApplicationProtocol {
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: "scripted:test")
        // The limits' clock stands still: no bucket refills while a test runs, however slow the machine.
        let now = Date()
        let services = Services(pipeline: pipeline, identity: identity, limits: LimitService(usage: usage, now: { now }), usage: usage)
        return Application(router: HTTPServer.router(services: services, metrics: Metrics(), maxBodyBytes: 1 << 20))
    }

    /// A key of a new user `bob` with `limits`.
    func key(_ identity: IdentityService, _ limits: Limits) async throws -> String {
        _ = try await identity.bootstrap(admin: "root")
        _ = try await identity.createUser("bob", role: .user, by: .operator)
        return try await identity.createKey(
            for: "bob", label: "", expiresIn: nil, models: nil, collections: nil, limits: limits, by: .operator
        )
        .1
    }

    /// One chat on a connection of its own: its status, Retry-After and body.
    static func chat(port: Int, key: String, session: URLSession) async throws -> (Int, String?, String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/chat/completions")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":3}"#.utf8)
        let (data, response) = try await session.data(for: request)
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, http?.value(forHTTPHeaderField: "Retry-After"), String(decoding: data, as: UTF8.self))
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64
        return URLSession(configuration: configuration)
    }()

    /// What one chat above reserves: the prompt's upper bound (`InferenceProvider`'s default
    /// count: bytes + 8 per message + 8) and `max_tokens`.
    static let reservation = (2 + 8 + 8) + 3

    @Test func thirtyParallelChatsNeverHoldMoreTokensThanTheMinutesLimit() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let (identity, usage) = try identity()
        let key = try await key(identity, Limits(tokensPerMinute: 100))
        let provider = GatedProvider()
        try await app(provider, identity, usage).test(.live) { client in
            let port = try #require(client.port)
            let answered = Counter()
            let answers = Task {
                try await withThrowingTaskGroup(of: (Int, String?, String).self) { group in
                    for _ in 0..<30 {
                        group.addTask {
                            let answer = try await Self.chat(port: port, key: key, session: Self.session)
                            answered.value.add(1, ordering: .relaxed)
                            return answer
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            // Wait (at most a minute) until every request is either refused or held at the gate.
            let admitted = 100 / Self.reservation
            for _ in 0..<6_000 where answered.value.load(ordering: .relaxed) + provider.started.load(ordering: .relaxed) < 30 {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(provider.started.load(ordering: .relaxed) == admitted)
            provider.open()
            let results = try await answers.value
            #expect(results.count { $0.0 == 200 } == admitted)
            let refused = results.filter { $0.0 == 429 }
            #expect(refused.count == 30 - admitted)
            #expect(refused.allSatisfy { Int($0.1 ?? "") ?? 0 >= 1 && $0.2.contains("rate_limit_exceeded") })
            // Each used 10 of its 21 (7 prompt, 3 completion): the rest came back at once.
            #expect(try await Self.chat(port: port, key: key, session: Self.session).0 == 200)
        }
    }

    @Test func aDaysBudgetRefusesWithInsufficientQuotaOnceSpentEvenAfterARestart() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let (identity, usage) = try identity()
        let key = try await key(identity, Limits(tokensPerDay: 41))
        try await app(ScriptedProvider(), identity, usage).test(.live) { client in
            let port = try #require(client.port)
            // 21 reserved, 10 used each: the fourth finds 11 left, fewer than it needs.
            for _ in 0..<3 { #expect(try await Self.chat(port: port, key: key, session: Self.session).0 == 200) }
            let (status, retryAfter, body) = try await Self.chat(port: port, key: key, session: Self.session)
            #expect(status == 429 && body.contains("insufficient_quota"))
            #expect((Int(retryAfter ?? "") ?? 0) > 0)
        }
        try await usage.flush()  // as a server does when it stops
        // A new server reads what was spent today from the usage records.
        let (_, usageAgain) = try self.identity()
        let restarted = IdentityService(
            store: SQLiteIdentityStore(
                try SQLiteKnowledgeStore(path: folder.appending(path: "knowledge.sqlite"), indexFolder: folder.appending(path: "vectors"))),
            secret: try IdentityService.secret(at: folder.appending(path: "server.secret")))
        try await app(ScriptedProvider(), restarted, usageAgain).test(.live) { client in
            let port = try #require(client.port)
            let (status, _, body) = try await Self.chat(port: port, key: key, session: Self.session)
            #expect(status == 429 && body.contains("insufficient_quota"), "\(body)")
        }
    }

    @Test func aUsersLimitHoldsAcrossAllTheirKeys() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let (identity, usage) = try identity()
        let first = try await key(identity, Limits())
        let second = try await identity.createKey(for: "bob", label: "", expiresIn: nil, models: nil, collections: nil, by: .operator).1
        try await identity.setLimits(Limits(requestsPerMinute: 3), user: "bob", by: .operator)
        try await app(ScriptedProvider(), identity, usage).test(.live) { client in
            let port = try #require(client.port)
            var statuses: [Int] = []
            for key in [first, second, first, second] {
                statuses.append(try await Self.chat(port: port, key: key, session: Self.session).0)
            }
            #expect(statuses == [200, 200, 200, 429])
        }
    }
}
