import Foundation
import HTTPTypes
import HearthCore
import HearthProviders
import HearthSQLite
import HearthServer
import HearthServices
import HearthTesting
import HearthWire
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Users, API keys and roles through the HTTP routes, over a real SQLite store.
struct IdentityRoutesTests {
    let folder = FileManager.default.temporaryDirectory.appending(path: "identity-\(UUID().uuidString)")
    /// The time the identity service sees; tests move it.
    let clock = TestClock()
    let logs = CapturedLogs()

    final class TestClock: Sendable {
        private let date = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var now: Date { date.withLock { $0 } }
        func advance(days: Double) { date.withLock { $0 += days * 86_400 } }
    }

    func identity() throws -> IdentityService {
        let store = try SQLiteKnowledgeStore(
            path: folder.appending(path: "knowledge.sqlite"), indexFolder: folder.appending(path: "vectors"))
        let clock = clock
        let identity = SQLiteIdentityStore(store)
        return IdentityService(
            store: identity, audit: identity, secret: try IdentityService.secret(at: folder.appending(path: "server.secret")),
            now: { clock.now })
    }

    /// Usage kept in the same database as `identity()`'s users.
    func usage() throws -> UsageService {
        let store = try SQLiteKnowledgeStore(
            path: folder.appending(path: "knowledge.sqlite"), indexFolder: folder.appending(path: "vectors"))
        return UsageService(store: SQLiteIdentityStore(store))
    }

    func app(_ identity: IdentityService, usage: UsageService = UsageService(), limits: LimitService = LimitService()) throws
        -> some ApplicationProtocol
    {
        let provider = ScriptedProvider()
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model)
        let conversations = SQLiteIdentityStore(
            try SQLiteKnowledgeStore(path: folder.appending(path: "knowledge.sqlite"), indexFolder: folder.appending(path: "vectors")))
        return Application(
            router: HTTPServer.router(
                services: Services(pipeline: pipeline, identity: identity, limits: limits, usage: usage, conversations: conversations),
                metrics: Metrics(),
                maxBodyBytes: 1 << 20),
            logger: logs.logger())
    }

    static func bearer(_ key: String?) -> HTTPFields {
        key.map { [.authorization: "Bearer \($0)"] } ?? [:]
    }

    /// Sends a request and returns its status and body.
    static func call(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, key: String?, body: String? = nil
    ) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(uri: uri, method: method, headers: bearer(key), body: body.map { ByteBuffer(string: $0) }) {
            ($0.status, String(buffer: $0.body))
        }
    }

    static func created<T: Decodable>(_ type: T.Type, _ answer: (HTTPResponse.Status, String)) throws -> T {
        #expect(answer.0 == .created, "\(answer.1)")
        return try JSONDecoder().decode(T.self, from: Data(answer.1.utf8))
    }

    @Test func aLoopbackServerIsOpenUntilItsFirstUser() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let identity = try identity()
        try await app(identity).test(.router) { client in
            #expect(try await Self.call(client, .get, "/v1/models", key: nil).0 == .ok)
            #expect(try await Self.call(client, .get, "/v1/models", key: "sk-anything").0 == .ok)  // SDKs always send one
            let (_, _, admin) = try await identity.bootstrap(admin: "root")
            #expect(admin.hasPrefix("hth_") && admin.count >= 40)
            #expect(try await Self.call(client, .get, "/v1/models", key: nil).0 == .unauthorized)
            #expect(try await Self.call(client, .get, "/v1/models", key: "sk-anything").0 == .unauthorized)
            #expect(try await Self.call(client, .get, "/v1/models", key: admin).0 == .ok)
            #expect(try await Self.call(client, .get, "/health", key: nil).0 == .ok)
            await #expect(throws: HearthError.self) { _ = try await identity.bootstrap(admin: "again") }
        }
    }

    @Test func usersManageOnlyTheirOwnKeysAndNothingElse() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let identity = try identity()
        let (_, adminKey, admin) = try await identity.bootstrap(admin: "root")
        try await app(identity).test(.router) { client in
            _ = try Self.created(
                IdentityWire.User.self, try await Self.call(client, .post, "/hearth/users", key: admin, body: #"{"name":"bob"}"#))
            _ = try Self.created(
                IdentityWire.User.self, try await Self.call(client, .post, "/hearth/users", key: admin, body: #"{"name":"eve"}"#))
            let bob = try Self.created(
                IdentityWire.Key.self,
                try await Self.call(client, .post, "/hearth/keys", key: admin, body: #"{"user":"bob","label":"laptop"}"#))
            let bobKey = try #require(bob.key)
            #expect(bob.user == "bob" && bob.prefix == String(bobKey.prefix(bob.prefix.count)))

            // Bob chats, but manages no users and no models.
            let chat = #"{"messages":[{"role":"user","content":"Hi"}]}"#
            #expect(try await Self.call(client, .post, "/v1/chat/completions", key: bobKey, body: chat).0 == .ok)
            #expect(try await Self.call(client, .get, "/hearth/users", key: bobKey).0 == .forbidden)
            #expect(try await Self.call(client, .post, "/hearth/users", key: bobKey, body: #"{"name":"mallory"}"#).0 == .forbidden)
            let copy = #"{"source":"scripted:test","destination":"mine:1"}"#
            #expect(try await Self.call(client, .post, "/hearth/models/copy", key: bobKey, body: copy).0 == .forbidden)
            #expect(try await Self.call(client, .delete, "/api/delete", key: bobKey, body: #"{"model":"scripted:test"}"#).0 == .forbidden)

            // His keys are his: another user's key or user is not found, never forbidden.
            let own = try Self.created(
                IdentityWire.Key.self, try await Self.call(client, .post, "/hearth/keys", key: bobKey, body: #"{"label":"ci"}"#))
            #expect(own.user == "bob")
            #expect(try await Self.call(client, .post, "/hearth/keys", key: bobKey, body: #"{"user":"eve"}"#).0 == .notFound)
            #expect(try await Self.call(client, .delete, "/hearth/keys/\(adminKey.id)", key: bobKey).0 == .notFound)
            let listed = try JSONDecoder().decode(
                IdentityWire.KeyList.self, from: Data(try await Self.call(client, .get, "/hearth/keys", key: bobKey).1.utf8))
            #expect(Set(listed.keys.map(\.id)) == [bob.id, own.id])
            #expect(listed.keys.allSatisfy { $0.key == nil })  // secrets are shown once, at creation
            let all = try JSONDecoder().decode(
                IdentityWire.KeyList.self, from: Data(try await Self.call(client, .get, "/hearth/keys", key: admin).1.utf8))
            #expect(all.keys.count == 3)
        }
    }

    @Test func revokedExpiredDisabledAlteredAndForgedKeysAreRefused() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let identity = try identity()
        let (_, _, admin) = try await identity.bootstrap(admin: "root")
        _ = try await identity.createUser("bob", role: .user, by: .operator)
        let (revoked, revokedSecret) = try await identity.createKey(
            for: "bob", label: "", expiresIn: nil, models: nil, collections: nil, by: .operator)
        let (_, expiring) = try await identity.createKey(
            for: "bob", label: "", expiresIn: 86_400, models: nil, collections: nil, by: .operator)
        let (_, bobs) = try await identity.createKey(for: "bob", label: "", expiresIn: nil, models: nil, collections: nil, by: .operator)
        try await app(identity).test(.router) { client in
            for key in [revokedSecret, expiring, bobs] { #expect(try await Self.call(client, .get, "/v1/models", key: key).0 == .ok) }
            #expect(try await Self.call(client, .delete, "/hearth/keys/\(revoked.id)", key: admin).0 == .ok)
            #expect(try await Self.call(client, .get, "/v1/models", key: revokedSecret).0 == .unauthorized)
            clock.advance(days: 2)
            #expect(try await Self.call(client, .get, "/v1/models", key: expiring).0 == .unauthorized)
            #expect(try await Self.call(client, .post, "/hearth/users/bob/disable", key: admin).0 == .ok)
            #expect(try await Self.call(client, .get, "/v1/models", key: bobs).0 == .unauthorized)
            #expect(try await Self.call(client, .post, "/hearth/users/bob/enable", key: admin).0 == .ok)
            #expect(try await Self.call(client, .get, "/v1/models", key: bobs).0 == .ok)
            let altered = String(bobs.dropLast()) + (bobs.last == "A" ? "B" : "A")
            let forged = [
                altered, "hth_" + String(repeating: "A", count: 43), "hth_", "Bearer hth_x",
                "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJyb290Iiwicm9sZSI6ImFkbWluIn0.",
                String(repeating: "x", count: 10_000),
            ]
            for key in forged {
                let (status, body) = try await Self.call(client, .get, "/hearth/users", key: key)
                #expect(status == .unauthorized, "\(key.prefix(30))")
                #expect(body.contains("invalid_api_key"))
            }
        }
        // Neither the database nor any log line holds a key's secret.
        let database =
            try Data(contentsOf: folder.appending(path: "knowledge.sqlite"))
            + ((try? Data(contentsOf: folder.appending(path: "knowledge.sqlite-wal"))) ?? Data())
        for secret in [admin, revokedSecret, expiring, bobs] {
            #expect(database.range(of: Data(secret.utf8)) == nil)
            #expect(
                !logs.all.contains { record in record.message.contains(secret) || record.metadata.values.contains { $0.contains(secret) } })
        }
    }

    @Test func fiftyParallelRequestsOnAKeyLimitedToTenPerMinuteAdmitExactlyTen() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let identity = try identity()
        _ = try await identity.bootstrap(admin: "root")
        _ = try await identity.createUser("bob", role: .user, by: .operator)
        let (_, limited) = try await identity.createKey(
            for: "bob", label: "", expiresIn: nil, models: nil, collections: nil, limits: Limits(requestsPerMinute: 10), by: .operator)
        // The limits' clock stands still: however slow a loaded machine is, nothing refills.
        let now = Date()
        try await app(identity, limits: LimitService(now: { now })).test(.live) { client in
            let port = try #require(client.port)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<50 { group.addTask { try await Self.status(port: port, key: limited) } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count { $0 == 200 } == 10)
            #expect(statuses.count { $0 == 429 } == 40)
            try await client.execute(uri: "/v1/models", method: .get, headers: Self.bearer(limited)) { response in
                #expect(response.status == .tooManyRequests)
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1)
                #expect(String(buffer: response.body).contains("rate_limit_exceeded"))
            }
        }
    }

    /// One GET /v1/models on a connection of its own; its status.
    static func status(port: Int, key: String) async throws -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/models")!)
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    @Test func usageTotalsAreTheSumOfTheAnswersUsageAndEachSeesTheirOwn() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let identity = try identity()
        let (_, _, admin) = try await identity.bootstrap(admin: "root")
        var created: [String: String] = [:]
        for name in ["bob", "eve"] {
            _ = try await identity.createUser(name, role: .user, by: .operator)
            created[name] = try await identity.createKey(for: name, label: "", expiresIn: nil, models: nil, collections: nil, by: .operator)
                .1
        }
        let keys = created
        try await app(identity, usage: try usage()).test(.router) { client in
            var sums: [String: (prompt: Int, completion: Int, requests: Int)] = [:]
            for (name, count) in [("bob", 3), ("eve", 2)] {
                for index in 0..<count {
                    let body = #"{"messages":[{"role":"user","content":"Question \#(index) from \#(name)"}],"max_tokens":9}"#
                    let (status, text) = try await Self.call(client, .post, "/v1/chat/completions", key: keys[name], body: body)
                    #expect(status == .ok)
                    let usage = try #require(try JSONDecoder().decode(OpenAI.ChatCompletion.self, from: Data(text.utf8)).usage)
                    let sum = sums[name] ?? (0, 0, 0)
                    sums[name] = (sum.prompt + usage.promptTokens, sum.completion + usage.completionTokens, sum.requests + 1)
                }
            }
            func report(_ query: String, key: String?) async throws -> [IdentityWire.UsageReport.Total] {
                let (status, text) = try await Self.call(client, .get, "/hearth/usage" + query, key: key)
                #expect(status == .ok, "\(text)")
                return try JSONDecoder().decode(IdentityWire.UsageReport.self, from: Data(text.utf8)).totals
            }
            for name in ["bob", "eve"] {
                let own = try await report("?by=user", key: keys[name])
                let sum = try #require(sums[name])
                #expect(own.map(\.group) == [name])
                #expect(own.first?.requests == sum.requests)
                #expect(own.first?.promptTokens == sum.prompt && own.first?.completionTokens == sum.completion)
            }
            let everyone = try await report("?by=user", key: admin)
            #expect(Set(everyone.map(\.group)) == ["bob", "eve"])
            #expect(everyone.reduce(0) { $0 + $1.completionTokens } == sums.values.reduce(0) { $0 + $1.completion })
            #expect(try await report("?by=model&days=1", key: admin).map(\.requests) == [5])
            let metrics = try await Self.call(client, .get, "/metrics", key: admin).1
            // Bob's key: three chats and one usage report.
            #expect(metrics.contains("hearth_key_requests_total{key=\"") && metrics.contains("user=\"bob\"} 4"))
            #expect(!keys.values.contains { metrics.contains($0) })
            #expect(try await Self.call(client, .get, "/hearth/usage?user=eve", key: keys["bob"]).0 == .notFound)
            #expect(try await Self.call(client, .get, "/hearth/usage?by=colour", key: admin).0 == .badRequest)
        }
    }

    @Test func theAuditLogKeepsChangesAndRefusalsWithoutSecrets() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let identity = try identity()
        let (_, _, admin) = try await identity.bootstrap(admin: "root")
        try await app(identity).test(.router) { client in
            _ = try await Self.call(client, .post, "/hearth/users", key: admin, body: #"{"name":"bob"}"#)
            let (_, created) = try await Self.call(client, .post, "/hearth/keys", key: admin, body: #"{"user":"bob"}"#)
            let key = try JSONDecoder().decode(IdentityWire.Key.self, from: Data(created.utf8))
            _ = try await Self.call(client, .delete, "/hearth/keys/\(key.id)", key: admin)
            _ = try await Self.call(client, .post, "/hearth/users/bob/disable", key: admin)
            for attempt in 0..<20 { _ = try await Self.call(client, .get, "/v1/models", key: "hth_guess\(attempt)") }
            let (status, text) = try await Self.call(client, .get, "/hearth/audit", key: admin)
            #expect(status == .ok)
            let events = try JSONDecoder().decode(IdentityWire.AuditLog.self, from: Data(text.utf8)).events
            #expect(
                events.reversed().map(\.action) == [
                    "admin.bootstrap", "user.create", "key.create", "key.revoke", "user.disable", "auth.refused",
                ])
            #expect(events.first { $0.action == "key.revoke" }?.target == key.id)
            #expect(events.allSatisfy { $0.action == "auth.refused" || $0.actor == "root" })
            let secret = try #require(key.key)
            #expect(!text.contains(admin) && !text.contains(secret))
            // Bob (enabled again) may not read it.
            _ = try await identity.setDisabled(false, user: "bob", by: .operator)
            let bobs = try await identity.createKey(for: "bob", label: "", expiresIn: nil, models: nil, collections: nil, by: .operator).1
            #expect(try await Self.call(client, .get, "/hearth/audit", key: bobs).0 == .forbidden)
        }
    }

    @Test func aKeyLimitedToSomeModelsSeesAndUsesOnlyThose() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let identity = try identity()
        _ = try await identity.bootstrap(admin: "root")
        _ = try await identity.createUser("bob", role: .user, by: .operator)
        let (_, narrow) = try await identity.createKey(
            for: "bob", label: "", expiresIn: nil, models: ["other:1b"], collections: nil, by: .operator)
        let (_, scripted) = try await identity.createKey(
            for: "bob", label: "", expiresIn: nil, models: ["scripted:test"], collections: nil, by: .operator)
        try await app(identity).test(.router) { client in
            let chat = #"{"model":"scripted:test","messages":[{"role":"user","content":"Hi"}]}"#
            let (status, body) = try await Self.call(client, .post, "/v1/chat/completions", key: narrow, body: chat)
            #expect(status == .notFound && body.contains("model_not_found"))
            let ollama = #"{"model":"scripted:test","messages":[{"role":"user","content":"Hi"}],"stream":false}"#
            #expect(try await Self.call(client, .post, "/api/chat", key: narrow, body: ollama).0 == .notFound)
            let embed = #"{"model":"scripted:test","input":"Hi"}"#
            #expect(try await Self.call(client, .post, "/v1/embeddings", key: narrow, body: embed).0 == .notFound)
            let listed = try await Self.call(client, .get, "/v1/models", key: narrow).1
            #expect(!listed.contains("scripted:test"))
            #expect(try await Self.call(client, .post, "/v1/chat/completions", key: scripted, body: chat).0 == .ok)
            #expect(try await Self.call(client, .get, "/v1/models", key: scripted).1.contains("scripted:test"))
            // Nor do the listings of loaded models name what the key may not use.
            for path in ["/hearth/status", "/api/ps"] {
                #expect(!(try await Self.call(client, .get, path, key: narrow).1.contains("scripted:test")), "\(path)")
                #expect(try await Self.call(client, .get, path, key: scripted).1.contains("scripted:test"), "\(path)")
            }
        }
    }

    @Test func aKeySignsInToASessionWithItsLimitsThatEndsWithTheKey() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let identity = try identity()
        let (_, _, admin) = try await identity.bootstrap(admin: "root")
        _ = try await identity.createUser("bob", role: .user, by: .operator)
        let (limited, secret) = try await identity.createKey(
            for: "bob", label: "browser", expiresIn: nil, models: ["other:1"], collections: nil, by: .operator)
        try await app(identity).test(.router) { client in
            let (status, body) = try await Self.call(client, .post, "/hearth/auth/login", key: nil, body: #"{"key":"\#(secret)"}"#)
            #expect(status == .ok, "\(body)")
            let session = try JSONDecoder().decode(IdentityWire.Session.self, from: Data(body.utf8))
            #expect(session.token.hasPrefix("hts_") && session.token != secret && session.user == "bob")
            let me = try await Self.call(client, .get, "/hearth/auth/me", key: session.token)
            #expect(me.0 == .ok && me.1.contains(#""via":"session""#) && me.1.contains(#""user":"bob""#))
            // The key's model list holds in its session: the scripted model is not on it.
            #expect(try await Self.call(client, .get, "/v1/models", key: session.token).1.contains("scripted") == false)
            #expect(try await Self.call(client, .get, "/v1/models", key: admin).1.contains("scripted"))
            // Neither a wrong key, a static one nor name and key together open a session.
            #expect(try await Self.call(client, .post, "/hearth/auth/login", key: nil, body: #"{"key":"hth_nope"}"#).0 == .unauthorized)
            #expect(
                try await Self.call(client, .post, "/hearth/auth/login", key: nil, body: #"{"name":"bob","key":"\#(secret)"}"#).0
                    == .badRequest)
            // Revoking the key ends the session at once.
            #expect(try await Self.call(client, .delete, "/hearth/keys/\(limited.id)", key: admin).0 == .ok)
            #expect(try await Self.call(client, .get, "/hearth/auth/me", key: session.token).0 == .unauthorized)
            #expect(try await Self.call(client, .post, "/hearth/auth/login", key: nil, body: #"{"key":"\#(secret)"}"#).0 == .unauthorized)
        }
        let events = try await identity.auditEvents(days: 1, limit: 20, by: .operator).map(\.action)
        #expect(events.contains("auth.login") && events.contains("auth.login.failed"))
    }

    @Test func peopleSignInWithAPasswordAndGuessingIsSlowedDown() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let identity = try identity()
        let (_, _, admin) = try await identity.bootstrap(admin: "root")
        _ = try await identity.createUser("bob", role: .user, by: .operator)
        try await app(identity).test(.router) { client in
            let password = "correct horse battery"
            #expect(
                try await Self.call(client, .post, "/hearth/users/bob/password", key: admin, body: #"{"password":"short"}"#).0
                    == .badRequest)
            #expect(
                try await Self.call(client, .post, "/hearth/users/bob/password", key: admin, body: #"{"password":"\#(password)"}"#).0
                    == .ok)
            let login = #"{"name":"bob","password":"\#(password)"}"#
            let (status, body) = try await Self.call(client, .post, "/hearth/auth/login", key: nil, body: login)
            #expect(status == .ok)
            let session = try JSONDecoder().decode(IdentityWire.Session.self, from: Data(body.utf8))
            #expect(session.token.hasPrefix("hts_") && session.user == "bob" && session.role == "user")
            #expect(try await Self.call(client, .get, "/v1/models", key: session.token).0 == .ok)
            #expect(try await Self.call(client, .get, "/hearth/users", key: session.token).0 == .forbidden)
            // Bob may not set someone else's password.
            let other = #"{"password":"another password"}"#
            #expect(try await Self.call(client, .post, "/hearth/users/root/password", key: session.token, body: other).0 == .notFound)

            // Wrong passwords and unknown users get one answer; after five, even the right one waits.
            for attempt in 0..<5 {
                let wrong = #"{"name":"\#(attempt == 0 ? "nobody" : "bob")","password":"guess \#(attempt)"}"#
                let (refused, text) = try await Self.call(client, .post, "/hearth/auth/login", key: nil, body: wrong)
                #expect(refused == .unauthorized && text.contains("wrong user name or password"))
            }
            try await client.execute(
                uri: "/hearth/auth/login", method: .post, body: ByteBuffer(string: login)
            ) { response in
                #expect(response.status == .tooManyRequests)
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1)
            }
            clock.advance(days: 1.0 / 86_400 * 2)  // the first wait is 1 s
            #expect(try await Self.call(client, .post, "/hearth/auth/login", key: nil, body: login).0 == .ok)

            // Logged out, expired or disabled: the token stops working.
            #expect(try await Self.call(client, .post, "/hearth/auth/logout", key: session.token).0 == .noContent)
            #expect(try await Self.call(client, .get, "/v1/models", key: session.token).0 == .unauthorized)
            let second = try JSONDecoder().decode(
                IdentityWire.Session.self,
                from: Data(try await Self.call(client, .post, "/hearth/auth/login", key: nil, body: login).1.utf8))
            #expect(try await Self.call(client, .get, "/v1/models", key: second.token).0 == .ok)
            clock.advance(days: 13.0 / 24)
            #expect(try await Self.call(client, .get, "/v1/models", key: second.token).0 == .unauthorized)
        }
        let database =
            try Data(contentsOf: folder.appending(path: "knowledge.sqlite"))
            + ((try? Data(contentsOf: folder.appending(path: "knowledge.sqlite-wal"))) ?? Data())
        #expect(database.range(of: Data("correct horse battery".utf8)) == nil)
        #expect(!logs.all.contains { $0.metadata.values.contains { $0.contains("correct horse") } })
    }

    @Test func aKeyGivesNoMoreThanItHasAndUsersCannotReachTheOperatorsThings() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let identity = try identity()
        try await app(identity).test(.router) { client in
            // An open server refuses what a web page makes a browser send.
            let page = HTTPFields([HTTPField(name: .origin, value: "http://evil.example")])
            try await client.execute(uri: "/hearth/users", method: .post, headers: page, body: ByteBuffer(string: #"{"name":"x"}"#)) {
                #expect($0.status == .forbidden)
            }
            let local = HTTPFields([HTTPField(name: .origin, value: "http://127.0.0.1:8420")])
            try await client.execute(uri: "/v1/models", method: .get, headers: local) { #expect($0.status == .ok) }
            #expect(try await identity.isOpen())  // nobody was created

            let (_, _, admin) = try await identity.bootstrap(admin: "root")
            _ = try await identity.createUser("bob", role: .user, by: .operator)
            let (_, narrow) = try await identity.createKey(
                for: "bob", label: "", expiresIn: 86_400, models: ["scripted:test"], collections: nil,
                limits: Limits(requestsPerMinute: 100), by: .operator)
            let huge = #"{"expires_in_days":1e300}"#
            #expect(try await Self.call(client, .post, "/hearth/keys", key: narrow, body: huge).0 == .badRequest)
            let child = try Self.created(
                IdentityWire.Key.self, try await Self.call(client, .post, "/hearth/keys", key: narrow, body: #"{"label":"mine\u001b[2J"}"#))
            #expect(child.models == ["scripted:test"] && child.requestsPerMinute == 100 && child.expiresAt != nil)
            #expect(child.label == "mine[2J")  // no control characters reach a terminal
            // Users neither unload models nor read the operator's metrics.
            let unload = #"{"model":"scripted:test","keep_alive":0}"#
            #expect(try await Self.call(client, .post, "/api/generate", key: narrow, body: unload).0 == .forbidden)
            #expect(try await Self.call(client, .get, "/metrics", key: narrow).0 == .forbidden)
            #expect(try await Self.call(client, .get, "/metrics", key: admin).0 == .ok)
        }
        // A damaged secret is an error, never silently replaced (every key would stop working).
        try Data("short".utf8).write(to: folder.appending(path: "server.secret"))
        #expect(throws: HearthError.self) { _ = try IdentityService.secret(at: folder.appending(path: "server.secret")) }
    }

    @Test func twoBootstrapsAtOnceMakeOneAdministrator() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let (first, second) = (try identity(), try identity())  // two processes on one database
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for (service, name) in [(first, "ann"), (second, "ben")] {
                group.addTask { (try? await service.bootstrap(admin: name)) != nil }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.count { $0 } == 1)
        #expect(try await first.users(by: .operator).count == 1)
    }

    @Test func aRequestGivesItsConcurrentPlaceBackWhenItsAnswerEnds() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let identity = try identity()
        _ = try await identity.bootstrap(admin: "root")
        _ = try await identity.createUser("bob", role: .user, by: .operator)
        let (_, single) = try await identity.createKey(
            for: "bob", label: "", expiresIn: nil, models: nil, collections: nil, limits: Limits(concurrent: 1), by: .operator)
        try await app(identity).test(.router) { client in
            // One at a time, streams included: each ends before the next starts, so none is refused.
            let stream = #"{"messages":[{"role":"user","content":"Hi"}],"stream":true}"#
            for _ in 0..<3 {
                let streamed = try await Self.call(client, .post, "/v1/chat/completions", key: single, body: stream).0
                let listed = try await Self.call(client, .get, "/v1/models", key: single).0
                #expect(streamed == .ok && listed == .ok)
            }
        }
    }

    @Test func aBrowserSessionIsAnHttpOnlyCookieThatChangesNothingWithoutTheCSRFHeader() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let identity = try identity()
        let (_, _, admin) = try await identity.bootstrap(admin: "root")
        _ = try await identity.createUser("bob", role: .user, by: .operator)
        let password = "correct horse battery"
        try await identity.setPassword(password, user: "bob", by: .operator)
        try await app(identity).test(.router) { client in
            let login = #"{"name":"bob","password":"\#(password)"}"#
            let (token, cookie) = try await client.execute(uri: "/hearth/auth/login", method: .post, body: ByteBuffer(string: login)) {
                response in
                let session = try JSONDecoder().decode(IdentityWire.Session.self, from: Data(String(buffer: response.body).utf8))
                return (session.token, response.headers[.setCookie] ?? "")
            }
            #expect(cookie.hasPrefix("hearth_session=\(token);"))
            // Two session cookies (one may come from a page on another port): neither is taken.
            let tossed = try await client.execute(
                uri: "/v1/models", method: .get, headers: [.cookie: "hearth_session=\(token); hearth_session=hts_attacker"]
            ) { $0.status }
            #expect(tossed == .unauthorized)
            for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] { #expect(cookie.contains(attribute), "\(cookie)") }
            func send(_ method: HTTPRequest.Method, _ uri: String, cookie value: String, csrf: Bool = false, body: String? = nil)
                async throws -> HTTPResponse.Status
            {
                var headers: HTTPFields = [.cookie: "theme=dark; hearth_session=\(value); other=1"]
                if csrf { headers[HTTPField.Name("X-Hearth-CSRF")!] = "1" }
                return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) {
                    $0.status
                }
            }
            let chat = #"{"messages":[{"role":"user","content":"Hi"}]}"#
            #expect(try await send(.get, "/v1/models", cookie: token) == .ok)
            // A cross-site form can send the cookie, not the header: nothing changes without it.
            #expect(try await send(.post, "/v1/chat/completions", cookie: token, body: chat) == .forbidden)
            #expect(try await send(.post, "/v1/chat/completions", cookie: token, csrf: true, body: chat) == .ok)
            // Only session tokens are taken from a cookie; altered and forged ones are refused.
            #expect(try await send(.get, "/v1/models", cookie: admin) == .unauthorized)
            let altered = String(token.dropLast()) + (token.last == "A" ? "B" : "A")
            for forged in [altered, "hts_" + String(repeating: "A", count: 43), "hts_", "hts_../../server.secret"] {
                #expect(try await send(.get, "/v1/models", cookie: forged) == .unauthorized, "\(forged)")
                #expect(try await Self.call(client, .get, "/v1/models", key: forged).0 == .unauthorized)
            }
            // Path and id tampering finds nothing.
            for path in ["/hearth/conversations/..%2F..%2Fserver.secret", "/v1/files/..%2Fknowledge.sqlite", "/hearth/keys/%00"] {
                let status = try await Self.call(client, path.hasPrefix("/hearth/keys") ? .delete : .get, path, key: token).0
                #expect(status == .notFound, "\(path)")
            }
            // Signing out by cookie ends the session and clears the cookie.
            let cleared = try await client.execute(
                uri: "/hearth/auth/logout", method: .post,
                headers: [.cookie: "hearth_session=\(token)", HTTPField.Name("X-Hearth-CSRF")!: "1"]
            ) { ($0.status, $0.headers[.setCookie] ?? "") }
            #expect(cleared.0 == .noContent && cleared.1.contains("Max-Age=0"))
            #expect(try await send(.get, "/v1/models", cookie: token) == .unauthorized)
        }
        // No secret in any log line of the run.
        let secrets = [admin, password]
        for secret in secrets {
            #expect(
                !logs.all.contains { record in record.message.contains(secret) || record.metadata.values.contains { $0.contains(secret) } })
        }
    }

    @Test func aPageOfAnotherSiteCannotSignABrowserIn() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let identity = try identity()
        _ = try await identity.bootstrap(admin: "root")
        _ = try await identity.createUser("bob", role: .user, by: .operator)
        try await identity.setPassword("correct horse battery", user: "bob", by: .operator)
        try await app(identity).test(.live) { client in
            let port = try #require(client.port)
            for (origin, expected) in [
                (nil, 200), ("http://evil.example", 403), ("http://127.0.0.1:\(port + 1)", 403), ("http://127.0.0.1:\(port)", 200),
            ] {
                var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/hearth/auth/login")!)
                request.httpMethod = "POST"
                request.httpBody = Data(#"{"name":"bob","password":"correct horse battery"}"#.utf8)
                if let origin { request.setValue(origin, forHTTPHeaderField: "Origin") }
                let (_, response) = try await URLSession.shared.data(for: request)
                #expect((response as? HTTPURLResponse)?.statusCode == expected, "\(origin ?? "no origin")")
            }
        }
    }
}
