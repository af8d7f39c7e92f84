import Foundation
import HearthCore
import Testing

/// Users, keys, sessions, usage, audit, conversations and responses, the same on every backend.
@Suite struct IdentityStoreTests {
    let old = Date(timeIntervalSince1970: 1_700_000_000)

    @Test(arguments: Backend.allCases)
    func usersAreCreatedOnceLimitedAndDisabled(_ backend: Backend) async throws {
        try await withStores(backend) { stores in
            let store = stores.identity
            let admin = try #require(try await store.createFirstUser(User(name: "ada", role: .admin, createdAt: old)))
            #expect(admin.id > 0)
            #expect(try await store.createFirstUser(User(name: "bob", role: .admin)) == nil)
            let bob = try await store.createUser(User(name: "bob", role: .user))
            await expectError(.invalidRequest) { _ = try await store.createUser(User(name: "bob", role: .user)) }
            #expect(try await store.userCount() == 2)
            #expect(try await store.users().map(\.name) == ["ada", "bob"])
            #expect(try await store.user(named: "ada") == admin)
            #expect(try await store.user(id: bob.id)?.name == "bob")
            #expect(try await store.user(named: "carol") == nil)

            let limits = Limits(requestsPerMinute: 10, tokensPerMinute: 1000, concurrent: 2, tokensPerDay: 5000, tokensPerMonth: 90_000)
            #expect(try await store.setLimits(limits, user: "bob"))
            #expect(try await store.setDisabled(true, user: "bob"))
            let changed = try #require(try await store.user(named: "bob"))
            #expect(changed.limits == limits && changed.disabled)
            #expect(!(try await store.setDisabled(true, user: "carol")))
            #expect(!(try await store.setLimits(limits, user: "carol")))

            #expect(try await store.setPassword("scrypt$abc", user: "ada"))
            let (user, password) = try #require(try await store.password(of: "ada"))
            #expect(user.id == admin.id && password == "scrypt$abc")
            #expect(try await store.password(of: "bob")?.1 == nil)
            #expect(try await store.password(of: "carol") == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func keysAreFoundByHashAndRevokedOnce(_ backend: Backend) async throws {
        try await withStores(backend) { stores in
            let store = stores.identity
            let ada = try await store.createUser(User(name: "ada", role: .admin))
            let bob = try await store.createUser(User(name: "bob", role: .user, limits: Limits(concurrent: 1)))
            let first = APIKey(
                id: "key-1", userID: bob.id, label: "laptop", prefix: "hth_ab", createdAt: old, expiresAt: old.addingTimeInterval(86400),
                models: ["smollm2:135m"], collections: ["docs"], limits: Limits(requestsPerMinute: 5))
            let second = APIKey(id: "key-2", userID: ada.id, label: "ci", prefix: "hth_cd", createdAt: old.addingTimeInterval(10))
            try await store.createKey(first, hash: Data([1, 2, 3]))
            try await store.createKey(second, hash: Data([4, 5, 6]))

            let (key, user) = try #require(try await store.key(hash: Data([1, 2, 3])))
            #expect(key == first)
            #expect(user.id == bob.id && user.name == "bob")
            #expect(try await store.key(hash: Data([9])) == nil)
            #expect(try await store.keys(userID: nil).map(\.id) == ["key-2", "key-1"])
            #expect(try await store.keys(userID: bob.id).map(\.id) == ["key-1"])

            let now = Date(timeIntervalSince1970: 1_800_000_000)
            #expect(try await store.revokeKey(id: "key-1", at: now))
            #expect(!(try await store.revokeKey(id: "key-1", at: now.addingTimeInterval(5))))
            #expect(!(try await store.revokeKey(id: "key-9", at: now)))
            #expect(try await store.key(hash: Data([1, 2, 3]))?.0.revokedAt == now)
        }
    }

    @Test(arguments: Backend.allCases)
    func sessionsAreKeptByHashUntilDeleted(_ backend: Backend) async throws {
        try await withStores(backend) { stores in
            let store = stores.identity
            let ada = try await store.createUser(User(name: "ada", role: .admin))
            let expiry = Date(timeIntervalSince1970: 4_000_000_000)
            try await store.createSession(hash: Data([7, 7]), userID: ada.id, expiresAt: expiry, keyHash: nil)
            try await store.createSession(hash: Data([8, 8]), userID: ada.id, expiresAt: expiry, keyHash: Data([1, 2]))
            let session = try #require(try await store.session(hash: Data([7, 7])))
            #expect(session.user.id == ada.id && session.expiresAt == expiry && session.keyHash == nil)
            #expect(try await store.session(hash: Data([8, 8]))?.keyHash == Data([1, 2]))
            #expect(try await store.deleteSession(hash: Data([7, 7])))
            #expect(!(try await store.deleteSession(hash: Data([7, 7]))))
            #expect(try await store.session(hash: Data([7, 7])) == nil)
            // An expired session goes when a new one comes.
            try await store.createSession(hash: Data([9]), userID: ada.id, expiresAt: old, keyHash: nil)
            try await store.createSession(hash: Data([10]), userID: ada.id, expiresAt: expiry, keyHash: nil)
            #expect(try await store.session(hash: Data([9])) == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func usageIsTotalledByDayModelKeyAndUser(_ backend: Backend) async throws {
        try await withStores(backend) { stores in
            let store = stores.identity
            let ada = try await store.createUser(User(name: "ada", role: .admin))
            let day1 = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01 00:00 UTC
            let day2 = day1.addingTimeInterval(86400 + 3600)
            try await store.record([
                UsageRecord(
                    time: day1, userID: ada.id, keyID: "key-1", model: "m1", promptTokens: 10, completionTokens: 5, milliseconds: 12.5,
                    status: 200),
                UsageRecord(
                    time: day1.addingTimeInterval(60), userID: nil, keyID: nil, model: "m2", promptTokens: 1, completionTokens: 1,
                    milliseconds: 3, status: 429),
                UsageRecord(
                    time: day2, userID: ada.id, keyID: "key-2", model: "m1", promptTokens: 100, completionTokens: 50, milliseconds: 40,
                    status: 200),
            ])
            let byDay = try await store.totals(userID: nil, since: day1, by: .day)
            #expect(
                byDay == [
                    UsageTotal(group: "2026-01-02", requests: 1, promptTokens: 100, completionTokens: 50),
                    UsageTotal(group: "2026-01-01", requests: 2, promptTokens: 11, completionTokens: 6),
                ])
            #expect(try await store.totals(userID: nil, since: day1, by: .model).map(\.group) == ["m1", "m2"])
            #expect(try await store.totals(userID: nil, since: day1, by: .key).map(\.group) == ["key-2", "key-1", "-"])
            #expect(try await store.totals(userID: nil, since: day1, by: .user).map(\.group) == ["ada", "-"])
            #expect(
                try await store.totals(userID: ada.id, since: day1, by: .model) == [
                    UsageTotal(group: "m1", requests: 2, promptTokens: 110, completionTokens: 55)
                ])
            #expect(try await store.totals(userID: nil, since: day2, by: .model).map(\.requests) == [1])
            #expect(try await store.tokens(userID: nil, keyID: nil, since: day1) == 167)
            #expect(try await store.tokens(userID: ada.id, keyID: nil, since: day1) == 165)
            #expect(try await store.tokens(userID: ada.id, keyID: "key-1", since: day1) == 15)
            #expect(try await store.tokens(userID: nil, keyID: nil, since: day2.addingTimeInterval(1)) == 0)
        }
    }

    @Test(arguments: Backend.allCases)
    func theAuditLogListsNewestFirst(_ backend: Backend) async throws {
        try await withStores(backend) { stores in
            let store = stores.identity
            for (offset, action) in ["user.create", "key.create", "key.revoke"].enumerated() {
                try await store.append(
                    AuditEvent(
                        time: old.addingTimeInterval(Double(offset)), actor: "ada", action: action, target: "bob",
                        address: offset == 0 ? "127.0.0.1" : nil))
            }
            let events = try await store.auditEvents(since: old, limit: 2)
            #expect(events.map(\.action) == ["key.revoke", "key.create"])
            #expect(try await store.auditEvents(since: old, limit: 10).last?.address == "127.0.0.1")
            #expect(try await store.auditEvents(since: old.addingTimeInterval(2), limit: 10).count == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func conversationsKeepTheirMessagesAndAreFoundByOwnerAndText(_ backend: Backend) async throws {
        try await withStores(backend) { stores in
            let store = stores.identity
            try await store.createConversation(Conversation(id: "c1", ownerID: 1, title: "Trip to Oslo", createdAt: old, updatedAt: old))
            try await store.createConversation(
                Conversation(id: "c2", ownerID: 2, title: "Budget 100%", createdAt: old, updatedAt: old.addingTimeInterval(5)))
            try await store.createConversation(Conversation(id: "c3", ownerID: nil, title: "Admin notes", createdAt: old, updatedAt: old))
            let call = ToolCall(id: "call-1", name: "weather", arguments: "{\"city\":\"Oslo\"}")
            try await store.record(
                [
                    ConversationMessage(role: .user, content: "Will it rain in OSLO?", createdAt: old),
                    ConversationMessage(role: .assistant, content: "", toolCalls: [call], createdAt: old),
                    ConversationMessage(role: .tool, content: "rain", toolCallID: "call-1", name: "weather", createdAt: old),
                ], in: "c1", keeping: 0, model: "smollm2:135m", title: nil, at: old.addingTimeInterval(10))
            try await store.record(
                [ConversationMessage(role: .assistant, content: "Yes, take a coat.", createdAt: old)], in: "c1", keeping: 2, model: nil,
                title: "Oslo weather", at: old.addingTimeInterval(20))
            let messages = try await store.messages(in: "c1")
            #expect(messages.map(\.content) == ["Will it rain in OSLO?", "", "Yes, take a coat."])
            #expect(messages[1].toolCalls == [call])
            let c1 = try #require(try await store.conversation("c1"))
            #expect(c1.title == "Oslo weather" && c1.model == "smollm2:135m" && c1.messageCount == 3)
            #expect(c1.updatedAt == old.addingTimeInterval(20))
            await expectError(.notFound) {
                try await store.record([], in: "c9", keeping: 0, model: nil, title: nil, at: old)
            }

            #expect(try await store.conversations(ownerID: 1, everyone: false, matching: nil, limit: 10).map(\.id) == ["c1"])
            #expect(try await store.conversations(ownerID: nil, everyone: false, matching: nil, limit: 10).map(\.id) == ["c3"])
            #expect(try await store.conversations(ownerID: nil, everyone: true, matching: nil, limit: 10).map(\.id) == ["c1", "c2", "c3"])
            #expect(try await store.conversations(ownerID: nil, everyone: true, matching: nil, limit: 2).count == 2)
            // Matching is case-insensitive, in titles and messages, and takes % and _ literally.
            #expect(try await store.conversations(ownerID: nil, everyone: true, matching: "oslo", limit: 10).map(\.id) == ["c1"])
            #expect(try await store.conversations(ownerID: nil, everyone: true, matching: "COAT", limit: 10).map(\.id) == ["c1"])
            #expect(try await store.conversations(ownerID: nil, everyone: true, matching: "100%", limit: 10).map(\.id) == ["c2"])
            #expect(try await store.conversations(ownerID: nil, everyone: true, matching: "%", limit: 10).map(\.id) == ["c2"])
            #expect(try await store.conversations(ownerID: 2, everyone: false, matching: "oslo", limit: 10).isEmpty)

            #expect(try await store.renameConversation("c2", title: "Budget"))
            #expect(!(try await store.renameConversation("c9", title: "x")))
            #expect(try await store.deleteConversation("c1"))
            #expect(!(try await store.deleteConversation("c1")))
            #expect(try await store.messages(in: "c1").isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func responsesAreKeptReplacedAndDeleted(_ backend: Backend) async throws {
        try await withStores(backend) { stores in
            let store = stores.identity
            let response = StoredResponse(
                id: "resp_1", ownerID: 3, model: "m", createdAt: old, messages: [ChatMessage(role: .user, content: "hi")],
                body: "{\"id\":\"resp_1\"}", inputItems: "[]")
            try await store.putResponse(response)
            #expect(try await store.response("resp_1") == response)
            var replaced = response
            replaced.body = "{\"id\":\"resp_1\",\"v\":2}"
            try await store.putResponse(replaced)
            #expect(try await store.response("resp_1")?.body == replaced.body)
            #expect(try await store.deleteResponse("resp_1"))
            #expect(!(try await store.deleteResponse("resp_1")))
            #expect(try await store.response("resp_1") == nil)
        }
    }
}
