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

    static let skills = #"{"type":"mcp","server_label":"hearth","allowed_tools":["calculate"],"require_approval":"never"}"#

    @Test func mcpToolsRunOnTheServerAndTheClientsFunctionsComeBackToIt() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let sum = ToolCall(name: "calculate", arguments: #"{"expression":"6*7"}"#)
        let weather = ToolCall(name: "get_weather", arguments: #"{"city":"Paris"}"#)
        let provider = ScriptedProvider(turns: [
            [.toolCall(sum), .done(.toolCalls, Self.usage)],
            [.text("42, and "), .toolCall(weather), .done(.toolCalls, Self.usage)],
            [.text("Sunny."), .done(.stop, Self.usage)],
        ])
        let (identity, app) = try app(provider)
        let (_, alice, bob) = try await IsolationTests.people(identity)
        let body = #"""
            {"input":"6*7, and the weather in Paris?","tool_choice":"required","tools":[\#(Self.skills),
             {"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]}
            """#
        try await app.test(.router) { client in
            let (status, text, _) = try await IsolationTests.call(client, .post, "/v1/responses", key: alice, body: body)
            #expect(status == .ok, "\(text)")
            let first = try Self.object(text)
            let output = try #require(first["output"] as? [[String: Any]])
            #expect(output.map { $0["type"] as? String } == ["mcp_call", "message", "function_call"])
            #expect(output[0]["server_label"] as? String == "hearth" && output[0]["name"] as? String == "calculate")
            #expect(output[0]["output"] as? String == "42" && output[0]["status"] as? String == "completed")
            #expect(output[2]["call_id"] as? String == weather.id)
            let id = try #require(first["id"] as? String)
            // The client answers its function; the run goes on from the kept conversation.
            let next =
                #"{"previous_response_id":"\#(id)","tools":[\#(Self.skills)],"input":[{"type":"function_call_output","call_id":"\#(weather.id)","output":"sunny"}]}"#
            #expect(try await IsolationTests.call(client, .post, "/v1/responses", key: bob, body: next).0 == .notFound)
            let (again, answer, _) = try await IsolationTests.call(client, .post, "/v1/responses", key: alice, body: next)
            #expect(again == .ok, "\(answer)")
            let last = try #require(try Self.object(answer)["output"] as? [[String: Any]])
            #expect((last.first?["content"] as? [[String: Any]])?.first?["text"] as? String == "Sunny.")
        }
        let requests = provider.requests
        try #require(requests.count == 3)
        // Only the allowed skill and the client's function are offered; the first step must call.
        #expect(requests[0].tools?.tools.map(\.name) == ["calculate", "get_weather"])
        #expect(requests[0].tools?.choice == .required)
        guard case .chat(let messages) = requests[2].prompt else {
            Issue.record("not a chat")
            return
        }
        #expect(messages.map(\.role) == [.user, .assistant, .tool, .assistant, .tool])
        #expect(messages[2].content == "42" && messages[4].content == "sunny")
    }

    @Test func aStreamedRunShowsEachSkillAsAnMCPCall() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let provider = ScriptedProvider(turns: [
            [.toolCall(ToolCall(name: "calculate", arguments: #"{"expression":"1/0"}"#)), .done(.toolCalls, Self.usage)],
            [.text("Undefined."), .done(.stop, Self.usage)],
        ])
        let (identity, app) = try app(provider)
        let (_, alice, _) = try await IsolationTests.people(identity)
        try await app.test(.router) { client in
            let (status, text, _) = try await IsolationTests.call(
                client, .post, "/v1/responses", key: alice, body: #"{"input":"1/0?","stream":true,"tools":[\#(Self.skills)]}"#)
            #expect(status == .ok)
            var parser = ServerSentEvents.Parser()
            let events = try parser.feed(text).filter { $0 != "[DONE]" }.map(Self.object)
            #expect(
                events.map { $0["type"] as? String } == [
                    "response.created", "response.in_progress", "response.output_item.added", "response.mcp_call.in_progress",
                    "response.mcp_call_arguments.done", "response.mcp_call.failed", "response.output_item.done",
                    "response.output_item.added", "response.content_part.added", "response.output_text.delta",
                    "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed",
                ])
            #expect(events.map { $0["sequence_number"] as? Int } == Array(0..<events.count))
            let response = try #require(events.last?["response"] as? [String: Any])
            let output = try #require(response["output"] as? [[String: Any]])
            #expect(output.map { $0["type"] as? String } == ["mcp_call", "message"])
            #expect(output[0]["status"] as? String == "failed" && output[0]["error"] is String)
            let done = events.filter { $0["type"] as? String == "response.output_item.done" }
            #expect(output.map { $0["id"] as? String } == done.map { ($0["item"] as? [String: Any])?["id"] as? String })
        }
    }

    @Test(arguments: [
        (#"{"type":"mcp","server_label":"hearth","server_url":"http://169.254.169.254/"}"#, "server_url"),
        (#"{"type":"mcp","server_label":"hearth","require_approval":"always"}"#, "require_approval"),
        (#"{"type":"mcp","server_label":"nowhere"}"#, "nowhere"),
        (#"{"type":"mcp","server_label":"hearth","allowed_tools":["files_read"]}"#, "hearth"),
        (#"{"type":"mcp","server_label":"hearth","allowed_tools":{"read_only":true}}"#, "allowed_tools"),
    ])
    func mcpToolsHearthCannotOfferAreClearErrors(_ tool: String, _ named: String) async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let provider = ScriptedProvider(turns: [[.text("x"), .done(.stop, Self.usage)]])
        let (identity, app) = try app(provider)
        let (_, alice, _) = try await IsolationTests.people(identity)
        try await app.test(.router) { client in
            let (status, text, _) = try await IsolationTests.call(
                client, .post, "/v1/responses", key: alice, body: #"{"input":"x","tools":[\#(tool)]}"#)
            #expect(status == .badRequest)
            #expect(text.contains(named), "\(text)")
        }
        #expect(provider.requests.isEmpty)
    }
}
