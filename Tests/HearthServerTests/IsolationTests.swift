import Foundation
import HTTPTypes
import HearthCore
import HearthKnowledge
import HearthProviders
import HearthSQLite
import HearthServer
import HearthServices
import HearthTesting
import HearthWire
import Hummingbird
import HummingbirdTesting
import Testing

/// Two users and an administrator over every route that touches an owned object
/// (collections, uploaded files, vector stores and their files and batches, conversations):
/// each user reaches only their own, the other's ids answer 404 whatever the method, and an
/// administrator reaches all.
struct IsolationTests {
    let folder = FileManager.default.temporaryDirectory.appending(path: "isolation-\(UUID().uuidString)")

    /// The objects one user made.
    struct Owned {
        var key: String
        var collection: String
        var file: String
        var vectorStore: String
        var conversation: String
    }

    func app() throws -> (IdentityService, some ApplicationProtocol) {
        let stores = try TestStores(in: folder)
        let (store, identityStore, identity) = (stores.knowledge, stores.identityStore, stores.identity)
        let provider = ScriptedProvider()
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model)
        let knowledge = KnowledgeBase(store: store, embedder: HashingEmbedder(), embeddingModel: provider.model)
        let services = Services(pipeline: pipeline, knowledge: knowledge, identity: identity, conversations: identityStore)
        return (identity, Application(router: HTTPServer.router(services: services, metrics: Metrics(), maxBodyBytes: 1 << 20)))
    }

    static func call(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, key: String, body: String? = nil,
        contentType: String = "application/json"
    ) async throws -> (HTTPResponse.Status, String, HTTPFields) {
        try await client.execute(
            uri: uri, method: method, headers: [.authorization: "Bearer \(key)", .contentType: contentType],
            body: body.map { ByteBuffer(string: $0) }
        ) { ($0.status, String(buffer: $0.body), $0.headers) }
    }

    static func field(_ name: String, in text: String) throws -> String {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        return try #require(object[name] as? String, "\(text)")
    }

    /// The administrator `root` and the users `alice` and `bob`: their keys.
    static func people(_ identity: IdentityService) async throws -> (admin: String, alice: String, bob: String) {
        let (_, _, admin) = try await identity.bootstrap(admin: "root")
        var keys: [String] = []
        for name in ["alice", "bob"] {
            _ = try await identity.createUser(name, role: .user, by: .operator)
            keys.append(try await identity.createKey(for: name, label: "", expiresIn: nil, models: nil, collections: nil, by: .operator).1)
        }
        return (admin, keys[0], keys[1])
    }

    /// Makes one of each owned object as `name`, through the routes.
    static func make(_ name: String, key: String, _ client: some TestClientProtocol) async throws -> Owned {
        let collection = "\(name)-notes"
        #expect(try await call(client, .post, "/hearth/collections", key: key, body: #"{"name":"\#(collection)"}"#).0 == .created)
        let boundary = "hearth-test"
        let form = """
            --\(boundary)\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n\
            --\(boundary)\r\nContent-Disposition: form-data; name="file"; filename="\(name).txt"\r\n\
            Content-Type: text/plain\r\n\r\n\(name)'s secret plan\r\n--\(boundary)--\r\n
            """
        let upload = try await call(
            client, .post, "/v1/files", key: key, body: form, contentType: "multipart/form-data; boundary=\(boundary)")
        #expect(upload.0 == .ok, "\(upload.1)")
        let file = try field("id", in: upload.1)
        let store = try await call(client, .post, "/v1/vector_stores", key: key, body: #"{"name":"\#(name)","file_ids":["\#(file)"]}"#)
        #expect(store.0 == .ok, "\(store.1)")
        let conversation = try await call(client, .post, "/hearth/conversations", key: key, body: #"{"title":"\#(name)'s chat"}"#)
        #expect(conversation.0 == .created, "\(conversation.1)")
        let id = try field("id", in: conversation.1)
        let chat = try await call(
            client, .post, "/v1/chat/completions", key: key,
            body: #"{"messages":[{"role":"user","content":"hello from \#(name)"}],"conversation":"\#(id)"}"#)
        #expect(chat.0 == .ok, "\(chat.1)")
        return Owned(key: key, collection: collection, file: file, vectorStore: try field("id", in: store.1), conversation: id)
    }

    /// Every request on `owned`'s objects, with a body where the route needs one.
    static func requests(on owned: Owned, ownFile: String) -> [(HTTPRequest.Method, String, String?)] {
        let (c, f, vs, conv) = (owned.collection, owned.file, owned.vectorStore, owned.conversation)
        return [
            (.get, "/hearth/collections/\(c)", nil),
            (.post, "/hearth/search", #"{"query":"plan","collections":["\#(c)"]}"#),
            (.post, "/hearth/ask", #"{"question":"plan?","collections":["\#(c)"]}"#),
            (.post, "/v1/chat/completions", #"{"messages":[{"role":"user","content":"plan?"}],"collections":["\#(c)"]}"#),
            (.delete, "/hearth/collections/\(c)", nil),
            (.get, "/v1/files/\(f)", nil),
            (.get, "/v1/files/\(f)/content", nil),
            (.delete, "/v1/files/\(f)", nil),
            (.get, "/v1/vector_stores/\(vs)", nil),
            (.post, "/v1/vector_stores/\(vs)", #"{"name":"mine now"}"#),
            (.get, "/v1/vector_stores/\(vs)/files", nil),
            (.get, "/v1/vector_stores/\(vs)/files/\(f)", nil),
            (.post, "/v1/vector_stores/\(vs)/files", #"{"file_id":"\#(ownFile)"}"#),
            (.post, "/v1/vector_stores/\(vs)/file_batches", #"{"file_ids":["\#(ownFile)"]}"#),
            (.post, "/v1/vector_stores/\(vs)/search", #"{"query":"plan"}"#),
            (.delete, "/v1/vector_stores/\(vs)/files/\(f)", nil),
            (.delete, "/v1/vector_stores/\(vs)", nil),
            (.get, "/hearth/conversations/\(conv)", nil),
            (.patch, "/hearth/conversations/\(conv)", #"{"title":"mine now"}"#),
            (.post, "/v1/chat/completions", #"{"messages":[{"role":"user","content":"hi"}],"conversation":"\#(conv)"}"#),
            (.post, "/api/chat", #"{"messages":[{"role":"user","content":"hi"}],"conversation":"\#(conv)","stream":false}"#),
            (.delete, "/hearth/conversations/\(conv)", nil),
        ]
    }

    @Test func eachUserReachesOnlyTheirOwnAndTheOthersIdsAnswer404() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let (identity, app) = try app()
        let (admin, aliceKey, bobKey) = try await Self.people(identity)
        try await app.test(.router) { client in
            let alice = try await Self.make("alice", key: aliceKey, client)
            let bob = try await Self.make("bob", key: bobKey, client)
            for (owner, other) in [(alice, bob), (bob, alice)] {
                // Listings show only one's own.
                for (path, id) in [
                    ("/hearth/collections", owner.collection), ("/v1/files", owner.file), ("/v1/vector_stores", owner.vectorStore),
                    ("/hearth/conversations", owner.conversation),
                ] {
                    let (status, text, _) = try await Self.call(client, .get, path, key: other.key)
                    #expect(status == .ok)
                    #expect(!text.contains(id), "\(path) shows another's \(id)")
                    #expect(try await Self.call(client, .get, path, key: owner.key).1.contains(id), "\(path) hides \(id) from its owner")
                }
                // Every route on another's object: 404, and nothing changes.
                for (method, path, body) in Self.requests(on: owner, ownFile: other.file) {
                    let (status, text, _) = try await Self.call(client, method, path, key: other.key, body: body)
                    #expect(status == .notFound, "\(method) \(path) by another answered \(status): \(text)")
                    #expect(!text.contains("secret plan"))
                }
            }
            // Everything is still there for its owner, and for the administrator.
            for owned in [alice, bob] {
                for key in [owned.key, admin] {
                    for path in [
                        "/hearth/collections/\(owned.collection)", "/v1/files/\(owned.file)", "/v1/vector_stores/\(owned.vectorStore)",
                        "/hearth/conversations/\(owned.conversation)",
                    ] {
                        let (status, text, _) = try await Self.call(client, .get, path, key: key)
                        #expect(status == .ok, "GET \(path): \(status) \(text)")
                    }
                }
                let detail = try await Self.call(client, .get, "/hearth/conversations/\(owned.conversation)", key: owned.key).1
                #expect(detail.contains("hello from") && detail.contains("Hello, world"))
            }
            let everyone = try await Self.call(client, .get, "/hearth/conversations?all=true", key: admin).1
            #expect(everyone.contains(alice.conversation) && everyone.contains(bob.conversation))
            #expect(try await Self.call(client, .get, "/hearth/conversations?all=true", key: alice.key).0 == .forbidden)
            let files = try await Self.call(client, .get, "/v1/files", key: admin).1
            #expect(files.contains(alice.file) && files.contains(bob.file))
            // An administrator may delete anyone's.
            #expect(try await Self.call(client, .delete, "/hearth/conversations/\(bob.conversation)", key: admin).0 == .ok)
            #expect(try await Self.call(client, .get, "/hearth/conversations/\(bob.conversation)", key: bob.key).0 == .notFound)
            // Deletions are in the audit log, with who made them.
            #expect(try await Self.call(client, .delete, "/v1/files/\(alice.file)", key: alice.key).0 == .ok)
            #expect(try await Self.call(client, .delete, "/hearth/collections/\(alice.collection)", key: alice.key).0 == .ok)
            let audit = try await Self.call(client, .get, "/hearth/audit", key: admin).1
            for (actor, action, target) in [
                ("root", "conversation.delete", bob.conversation), ("alice", "file.delete", alice.file),
                ("alice", "collection.delete", alice.collection),
            ] {
                #expect(
                    audit.contains(#""actor":"\#(actor)""#) && audit.contains(#""action":"\#(action)""#) && audit.contains(target),
                    "\(action)")
            }
        }
    }

    @Test func aSharedCollectionIsReadByOthersAndChangedOnlyByItsOwner() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let (identity, app) = try app()
        let (admin, aliceKey, bobKey) = try await Self.people(identity)
        let (_, narrow) = try await identity.createKey(
            for: "alice", label: "", expiresIn: nil, models: nil, collections: ["handbook"], by: .operator)
        try await app.test(.router) { client in
            #expect(try await Self.call(client, .post, "/hearth/collections", key: admin, body: #"{"name":"handbook"}"#).0 == .created)
            #expect(try await Self.call(client, .post, "/hearth/collections", key: aliceKey, body: #"{"name":"diary"}"#).0 == .created)
            // Taken names are refused, without showing the other's collection.
            let taken = try await Self.call(client, .post, "/hearth/collections", key: bobKey, body: #"{"name":"diary"}"#)
            #expect(taken.0 == .badRequest && !taken.1.contains("embedding_model"))
            #expect(try await Self.call(client, .get, "/hearth/collections/handbook", key: bobKey).0 == .notFound)
            // Only an administrator shares.
            let share = #"{"users":["bob"]}"#
            #expect(try await Self.call(client, .put, "/hearth/collections/diary/shares", key: aliceKey, body: share).0 == .forbidden)
            #expect(try await Self.call(client, .put, "/hearth/collections/handbook/shares", key: admin, body: share).0 == .ok)
            let unknown = #"{"users":["mallory"]}"#
            #expect(try await Self.call(client, .put, "/hearth/collections/handbook/shares", key: admin, body: unknown).0 == .notFound)
            let seen = try await Self.call(client, .get, "/hearth/collections/handbook", key: bobKey)
            #expect(seen.0 == .ok && !seen.1.contains("shared_with"))
            #expect(try await Self.call(client, .get, "/hearth/collections", key: bobKey).1.contains("handbook"))
            #expect(
                try await Self.call(client, .post, "/hearth/search", key: bobKey, body: #"{"query":"x","collections":["handbook"]}"#).0
                    == .ok)
            #expect(try await Self.call(client, .delete, "/hearth/collections/handbook", key: bobKey).0 == .forbidden)
            // Alice was not given it; shared with everyone, she has it too.
            #expect(try await Self.call(client, .get, "/hearth/collections/handbook", key: aliceKey).0 == .notFound)
            #expect(
                try await Self.call(client, .put, "/hearth/collections/handbook/shares", key: admin, body: #"{"users":["*"]}"#).0 == .ok)
            #expect(try await Self.call(client, .get, "/hearth/collections/handbook", key: aliceKey).0 == .ok)
            // A key limited to some collections reaches only those, even of its own user.
            #expect(try await Self.call(client, .get, "/hearth/collections/diary", key: narrow).0 == .notFound)
            #expect(try await Self.call(client, .get, "/hearth/collections/handbook", key: narrow).0 == .ok)
            let list = try await Self.call(client, .get, "/hearth/collections", key: narrow).1
            #expect(list.contains("handbook") && !list.contains("diary"))
        }
    }
}
