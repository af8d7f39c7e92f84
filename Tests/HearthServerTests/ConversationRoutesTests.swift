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
import Testing

/// Conversations kept by the chat service: what a chat naming one leaves in it, and the
/// routes that list, search, rename and delete them.
struct ConversationRoutesTests {
    let folder = FileManager.default.temporaryDirectory.appending(path: "conversations-\(UUID().uuidString)")

    func app() throws -> some ApplicationProtocol {
        let store = try SQLiteKnowledgeStore(
            path: folder.appending(path: "knowledge.sqlite"), indexFolder: folder.appending(path: "vectors"))
        let provider = ScriptedProvider()
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model)
        let services = Services(pipeline: pipeline, conversations: SQLiteIdentityStore(store))
        return Application(router: HTTPServer.router(services: services, metrics: Metrics(), maxBodyBytes: 1 << 20))
    }

    static func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil)
        async throws -> (HTTPResponse.Status, String, HTTPFields)
    {
        try await client.execute(uri: uri, method: method, body: body.map { ByteBuffer(string: $0) }) {
            ($0.status, String(buffer: $0.body), $0.headers)
        }
    }

    static func chat(_ messages: [(String, String)], in conversation: String, stream: Bool = false) -> String {
        let list = messages.map { #"{"role":"\#($0.0)","content":"\#($0.1)"}"# }.joined(separator: ",")
        return #"{"messages":[\#(list)],"conversation":"\#(conversation)","stream":\#(stream)}"#
    }

    static func messages(_ client: some TestClientProtocol, _ id: String) async throws -> [String] {
        let (status, text, _) = try await call(client, .get, "/hearth/conversations/\(id)")
        #expect(status == .ok, "\(text)")
        let detail = try JSONDecoder().decode(ConversationWire.Detail.self, from: Data(text.utf8))
        return detail.messages.map { "\($0.role): \($0.content)" }
    }

    @Test func aChatNamingAConversationKeepsItsTurnsAndEditsReplaceWhatFollowed() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        try await app().test(.router) { client in
            // `new` starts one, named by the first question; the header says which.
            let (status, _, headers) = try await Self.call(
                client, .post, "/v1/chat/completions",
                Self.chat([("system", "Be brief."), ("user", "What is a hearth?\\nTell me.")], in: "new"))
            #expect(status == .ok)
            let id = try #require(headers[HTTPField.Name(ConversationWire.header)!])
            #expect(id.hasPrefix("conv_"))
            #expect(
                try await Self.messages(client, id) == [
                    "system: Be brief.", "user: What is a hearth?\nTell me.", "assistant: Hello, world",
                ])
            let listed = try await Self.call(client, .get, "/hearth/conversations").1
            #expect(listed.contains(#""title":"What is a hearth?""#) && listed.contains(#""message_count":3"#))
            // The next turn, sent whole as with any OpenAI client: appended.
            let history = [("system", "Be brief."), ("user", "What is a hearth?\\nTell me."), ("assistant", "Hello, world")]
            #expect(
                try await Self.call(client, .post, "/v1/chat/completions", Self.chat(history + [("user", "And a fire?")], in: id)).0 == .ok)
            #expect(try await Self.messages(client, id).count == 5)
            // Streamed, through Ollama's API, regenerating the last answer: replaced, not added.
            let ollama = try await Self.call(
                client, .post, "/api/chat", Self.chat(history + [("user", "And a fire?")], in: id, stream: true))
            #expect(ollama.0 == .ok && ollama.2[HTTPField.Name(ConversationWire.header)!] == id)
            #expect(try await Self.messages(client, id).count == 5)
            // An edited first question: what followed it goes.
            #expect(try await Self.call(client, .post, "/v1/chat/completions", Self.chat([("user", "Edited")], in: id)).0 == .ok)
            #expect(try await Self.messages(client, id) == ["user: Edited", "assistant: Hello, world"])
            // The title stays what it was.
            #expect(try await Self.call(client, .get, "/hearth/conversations").1.contains(#""title":"What is a hearth?""#))
        }
    }

    @Test func conversationsAreListedSearchedRenamedAndDeleted() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        try await app().test(.router) { client in
            let (created, text, _) = try await Self.call(client, .post, "/hearth/conversations", #"{"title":"Garden plans"}"#)
            #expect(created == .created)
            let garden = try JSONDecoder().decode(ConversationWire.Conversation.self, from: Data(text.utf8)).id
            let (_, untitled, _) = try await Self.call(client, .post, "/hearth/conversations")
            let other = try JSONDecoder().decode(ConversationWire.Conversation.self, from: Data(untitled.utf8)).id
            _ = try await Self.call(client, .post, "/v1/chat/completions", Self.chat([("user", "tomatoes 100% organic?")], in: other))
            // By title, by text (wildcards taken literally), case-insensitive.
            #expect(try await Self.call(client, .get, "/hearth/conversations?q=GARDEN").1.contains(garden))
            let byText = try await Self.call(client, .get, "/hearth/conversations?q=100%25%20organic").1
            #expect(byText.contains(other) && !byText.contains(garden))
            #expect(!(try await Self.call(client, .get, "/hearth/conversations?q=_%25").1.contains("conv_")))
            #expect(try await Self.call(client, .get, "/hearth/conversations?limit=0").0 == .badRequest)
            // Renamed; a bad title is refused.
            #expect(try await Self.call(client, .patch, "/hearth/conversations/\(garden)", #"{"title":"Orchard"}"#).1.contains("Orchard"))
            #expect(try await Self.call(client, .patch, "/hearth/conversations/\(garden)", #"{"title":""}"#).0 == .badRequest)
            #expect(try await Self.call(client, .patch, "/hearth/conversations/\(garden)", #"{"title":"a\u0007b"}"#).0 == .badRequest)
            // Deleted, with its messages.
            #expect(try await Self.call(client, .delete, "/hearth/conversations/\(other)").0 == .ok)
            #expect(try await Self.call(client, .get, "/hearth/conversations/\(other)").0 == .notFound)
            #expect(try await Self.call(client, .delete, "/hearth/conversations/\(other)").0 == .notFound)
            let chat = try await Self.call(client, .post, "/v1/chat/completions", Self.chat([("user", "hi")], in: "conv_nope"))
            #expect(chat.0 == .notFound && chat.1.contains("conversation"))
        }
    }
}
