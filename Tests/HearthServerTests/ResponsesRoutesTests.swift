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

/// `/v1/responses` over a scripted model: kept responses belong to their owner, a stream's
/// events come in the order clients assemble them, and previous_response_id carries the
/// conversation.
struct ResponsesRoutesTests {
    let folder = FileManager.default.temporaryDirectory.appending(path: "responses-\(UUID().uuidString)")
    static let usage = Usage(promptTokens: 9, completionTokens: 3)

    func app(_ provider: ScriptedProvider) throws -> (IdentityService, some ApplicationProtocol) {
        let stores = try TestStores(in: folder)
        let (identityStore, identity) = (stores.identityStore, stores.identity)
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model)
        let services = Services(pipeline: pipeline, identity: identity, conversations: identityStore, responses: identityStore)
        return (identity, Application(router: HTTPServer.router(services: services, metrics: Metrics(), maxBodyBytes: 1 << 20)))
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }

    @Test func aKeptResponseIsItsOwnersAndCarriesTheConversation() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let provider = ScriptedProvider(turns: [[.text("Hello"), .text(", Ada."), .done(.stop, Self.usage)]])
        let (identity, app) = try app(provider)
        let (_, alice, bob) = try await IsolationTests.people(identity)
        try await app.test(.router) { client in
            let (status, text, _) = try await IsolationTests.call(
                client, .post, "/v1/responses", key: alice, body: #"{"input":"I am Ada.","instructions":"Be brief."}"#)
            #expect(status == .ok, "\(text)")
            let created = try Self.object(text)
            let id = try #require(created["id"] as? String)
            #expect(created["status"] as? String == "completed")
            let output = try #require(created["output"] as? [[String: Any]])
            #expect((output[0]["content"] as? [[String: Any]])?.first?["text"] as? String == "Hello, Ada.")
            #expect(try await IsolationTests.call(client, .get, "/v1/responses/\(id)", key: bob).0 == .notFound)
            #expect(try await IsolationTests.call(client, .delete, "/v1/responses/\(id)", key: bob).0 == .notFound)
            let continued = try await IsolationTests.call(
                client, .post, "/v1/responses", key: bob, body: #"{"input":"Who am I?","previous_response_id":"\#(id)"}"#)
            #expect(continued.0 == .notFound)
            let (kept, body, _) = try await IsolationTests.call(client, .get, "/v1/responses/\(id)", key: alice)
            #expect(kept == .ok)
            #expect(NSDictionary(dictionary: try Self.object(body)) == NSDictionary(dictionary: created))
            let (_, items, _) = try await IsolationTests.call(client, .get, "/v1/responses/\(id)/input_items", key: alice)
            #expect(items.contains("I am Ada."))
            #expect(
                try await IsolationTests.call(
                    client, .post, "/v1/responses", key: alice, body: #"{"input":"Who am I?","previous_response_id":"\#(id)"}"#
                ).0 == .ok)
            #expect(try await IsolationTests.call(client, .delete, "/v1/responses/\(id)", key: alice).0 == .ok)
            #expect(try await IsolationTests.call(client, .get, "/v1/responses/\(id)", key: alice).0 == .notFound)
            let (_, unkept, _) = try await IsolationTests.call(
                client, .post, "/v1/responses", key: alice, body: #"{"input":"x","store":false}"#)
            let unkeptID = try #require(try Self.object(unkept)["id"] as? String)
            #expect(try await IsolationTests.call(client, .get, "/v1/responses/\(unkeptID)", key: alice).0 == .notFound)
        }
        // The continuation saw the first exchange, without its instructions (they are not carried).
        guard case .chat(let first) = provider.requests[0].prompt, case .chat(let continued) = provider.requests[1].prompt else {
            Issue.record("not chats")
            return
        }
        #expect(first.map(\.content) == ["Be brief.", "I am Ada."])
        #expect(continued.map(\.content) == ["I am Ada.", "Hello, Ada.", "Who am I?"])
        #expect(continued.map(\.role) == [.user, .assistant, .user])
    }

    @Test func aStreamSendsTheEventsInOrder() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let call = ToolCall(name: "get_weather", arguments: #"{"city":"Paris"}"#)
        let provider = ScriptedProvider(turns: [[.text("Let me look."), .toolCall(call), .done(.toolCalls, Self.usage)]])
        let (identity, app) = try app(provider)
        let (_, alice, _) = try await IsolationTests.people(identity)
        let body = #"""
            {"input":"Weather in Paris?","stream":true,"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}]}
            """#
        try await app.test(.router) { client in
            let (status, text, _) = try await IsolationTests.call(client, .post, "/v1/responses", key: alice, body: body)
            #expect(status == .ok)
            var parser = ServerSentEvents.Parser()
            let events = try parser.feed(text).filter { $0 != "[DONE]" }.map(Self.object)
            #expect(
                events.map { $0["type"] as? String } == [
                    "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
                    "response.output_text.delta", "response.output_text.done", "response.content_part.done",
                    "response.output_item.done", "response.output_item.added", "response.function_call_arguments.delta",
                    "response.function_call_arguments.done", "response.output_item.done", "response.completed",
                ])
            #expect(events.map { $0["sequence_number"] as? Int } == Array(0..<events.count))
            let last = try #require(events.last?["response"] as? [String: Any])
            let output = try #require(last["output"] as? [[String: Any]])
            #expect(output.map { $0["type"] as? String } == ["message", "function_call"])
            #expect(output[1]["call_id"] as? String == call.id && output[1]["arguments"] as? String == call.arguments)
        }
    }
}
