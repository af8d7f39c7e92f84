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

/// `POST /hearth/agents/run` over a scripted model: calls run as skills, their results go
/// back to the model, limits end the loop, and named conversations keep every step.
struct AgentRoutesTests {
    let folder = FileManager.default.temporaryDirectory.appending(path: "agents-\(UUID().uuidString)")

    static func call(_ name: String, _ arguments: String) -> TokenEvent { .toolCall(ToolCall(name: name, arguments: arguments)) }
    static let calls = Usage(promptTokens: 20, completionTokens: 10)
    static let words = Usage(promptTokens: 30, completionTokens: 5)

    func app(_ provider: ScriptedProvider) throws -> (IdentityService, some ApplicationProtocol) {
        let stores = try TestStores(in: folder)
        let (identityStore, identity) = (stores.identityStore, stores.identity)
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model)
        let services = Services(pipeline: pipeline, identity: identity, conversations: identityStore)
        return (identity, Application(router: HTTPServer.router(services: services, metrics: Metrics(), maxBodyBytes: 1 << 20)))
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }

    @Test func callsRunAsSkillsAndTheirResultsGoBackToTheModel() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let provider = ScriptedProvider(turns: [
            [Self.call("calculate", #"{"expression":"6*7"}"#), Self.call("nope", "{}"), .done(.toolCalls, Self.calls)],
            [.text("It is "), .text("42."), .done(.stop, Self.words)],
        ])
        let (identity, app) = try app(provider)
        let (_, alice, _) = try await IsolationTests.people(identity)
        try await app.test(.router) { client in
            let (status, text, _) = try await IsolationTests.call(
                client, .post, "/hearth/agents/run", key: alice, body: #"{"input":"What is 6 times 7?","tool_choice":"required"}"#)
            #expect(status == .ok, "\(text)")
            let result = try Self.object(text)
            #expect(result["output"] as? String == "It is 42.")
            #expect(result["finish_reason"] as? String == "stop")
            let steps = try #require(result["steps"] as? [[String: Any]])
            #expect(steps.map { $0["type"] as? String } == ["step", "tool_call", "tool_call", "tool_result", "tool_result", "step"])
            #expect(steps[3]["output"] as? String == "42")
            #expect(steps[4]["is_error"] as? Bool == true)
            let usage = try #require(result["usage"] as? [String: Any])
            #expect(usage["completion_tokens"] as? Int == 15)
            #expect(usage["prompt_tokens"] as? Int == 50)
        }
        let requests = provider.requests
        try #require(requests.count == 2)
        // A user is offered the skills a user may run, not the administrator's.
        let offered = requests[0].tools?.tools.map(\.name) ?? []
        #expect(offered.contains("calculate") && !offered.contains("files_read"))
        // The first step must call; the next may answer.
        #expect(requests.map { $0.tools?.choice } == [.required, .auto])
        guard case .chat(let messages) = requests[1].prompt else {
            Issue.record("not a chat")
            return
        }
        #expect(messages.map(\.role) == [.user, .assistant, .tool, .tool])
        #expect(messages[1].toolCalls?.map(\.name) == ["calculate", "nope"])
        #expect(messages[2].content == "42" && messages[2].toolCallID == messages[1].toolCalls?[0].id)
        #expect(messages[3].content.hasPrefix("Error: the skill 'nope' is not offered"))
    }

    @Test func stepsStreamAsEventsAndTheRunIsKeptInItsConversation() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let provider = ScriptedProvider(turns: [
            [Self.call("calculate", #"{"expression":"1+1"}"#), .done(.toolCalls, Self.calls)], [.text("Two."), .done(.stop, Self.words)],
        ])
        let (identity, app) = try app(provider)
        let (_, alice, bob) = try await IsolationTests.people(identity)
        try await app.test(.router) { client in
            let (status, text, headers) = try await IsolationTests.call(
                client, .post, "/hearth/agents/run", key: alice, body: #"{"input":"1+1?","stream":true,"conversation":"new"}"#)
            #expect(status == .ok)
            var parser = ServerSentEvents.Parser()
            let payloads = parser.feed(text)
            #expect(payloads.last == "[DONE]")
            let types = try payloads.dropLast().map { try Self.object($0)["type"] as? String }
            #expect(types == ["step", "tool_call", "tool_result", "step", "text", "done"])
            let conversation = try #require(headers[HTTPField.Name(ConversationWire.header)!])
            let (_, kept, _) = try await IsolationTests.call(client, .get, "/hearth/conversations/\(conversation)", key: alice)
            let messages = try #require(try Self.object(kept)["messages"] as? [[String: Any]])
            #expect(messages.map { $0["role"] as? String } == ["user", "assistant", "tool", "assistant"])
            #expect((messages[1]["tool_calls"] as? [[String: Any]])?.count == 1)
            #expect(messages[2]["content"] as? String == "2")
            #expect(messages[3]["content"] as? String == "Two.")
            #expect(try await IsolationTests.call(client, .get, "/hearth/conversations/\(conversation)", key: bob).0 == .notFound)
        }
    }

    @Test func theStepLimitAndTheTokenBudgetEndTheLoop() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        // A model that never stops calling.
        let provider = ScriptedProvider(turns: [[Self.call("time_now", "{}"), .done(.toolCalls, Self.calls)]])
        let (identity, app) = try app(provider)
        let (_, alice, _) = try await IsolationTests.people(identity)
        try await app.test(.router) { client in
            let limited = try await IsolationTests.call(
                client, .post, "/hearth/agents/run", key: alice, body: #"{"input":"time?","max_steps":3}"#)
            #expect(try Self.object(limited.1)["finish_reason"] as? String == "max_steps")
            #expect(provider.requests.count == 3)
            let budget = try await IsolationTests.call(
                client, .post, "/hearth/agents/run", key: alice, body: #"{"input":"time?","max_tokens":25}"#)
            #expect(try Self.object(budget.1)["finish_reason"] as? String == "budget")
            // 10 tokens a step: steps of 25, 15 and 5 tokens at most, then the budget is spent.
            #expect(provider.requests.dropFirst(3).map { $0.params.maxTokens } == [25, 15, 5])
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap"), "needs bubblewrap (make test installs it)"))
    func aSkillStoppedByItsSandboxIsAToolErrorTheLoopGoesOnWith() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let skills = folder.appending(path: "skills")
        for (name, script, extra) in [
            ("linger", "sleep 30", "timeout: 1\n"), ("flood", "head -c 100000000 /dev/zero", ""),
            ("reach", "exec bash -c 'exec 3<>/dev/tcp/1.1.1.1/53 && echo connected'", ""),
        ] {
            let skill = skills.appending(path: name)
            try FileManager.default.createDirectory(at: skill, withIntermediateDirectories: true)
            try "---\nname: \(name)\ndescription: \(name)\n\(extra)---\n".write(
                to: skill.appending(path: "SKILL.md"), atomically: true, encoding: .utf8)
            try "#!/bin/sh\n\(script)\n".write(to: skill.appending(path: "run"), atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: skill.appending(path: "run").path)
        }
        let provider = ScriptedProvider(turns: [
            [Self.call("linger", "{}"), Self.call("flood", "{}"), Self.call("reach", "{}"), .done(.toolCalls, Self.calls)],
            [.text("They failed."), .done(.stop, Self.words)],
        ])
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model)
        let services = Services(pipeline: pipeline, conversations: try TestStores(in: folder).identityStore, skillsFolder: skills)
        let app = Application(router: HTTPServer.router(services: services, metrics: Metrics(), maxBodyBytes: 1 << 20))
        try await app.test(.router) { client in
            let (status, text) = try await client.execute(
                uri: "/hearth/agents/run", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"input":"Try them."}"#)
            ) { ($0.status, String(buffer: $0.body)) }
            #expect(status == .ok)
            let result = try Self.object(text)
            #expect(result["output"] as? String == "They failed.")
            let results = (result["steps"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "tool_result" }
            #expect(results.map { $0["is_error"] as? Bool } == [true, true, true])
            let outputs = results.compactMap { $0["output"] as? String }
            #expect(outputs.count == 3 && outputs[0].contains("time limit") && outputs[1].contains("printed more than"))
            #expect(outputs.count == 3 && !outputs[2].contains("connected"))
        }
        // The model read each error.
        guard case .chat(let messages) = provider.requests.last?.prompt else { return }
        #expect(messages.filter { $0.role == .tool }.allSatisfy { $0.content.hasPrefix("Error: ") })
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap"), "needs bubblewrap (make test installs it)"))
    func aRunStoppedByItsClientStopsTheSkillItRuns() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let skills = folder.appending(path: "skills")
        let skill = skills.appending(path: "linger")
        let marker = "31.\(Int.random(in: 100_000...999_999))"
        try FileManager.default.createDirectory(at: skill, withIntermediateDirectories: true)
        try "---\nname: linger\ndescription: waits\ntimeout: 120\n---\n".write(
            to: skill.appending(path: "SKILL.md"), atomically: true, encoding: .utf8)
        try "#!/bin/sh\nexec sleep \(marker)\n".write(to: skill.appending(path: "run"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: skill.appending(path: "run").path)
        let provider = ScriptedProvider(turns: [[Self.call("linger", "{}"), .done(.toolCalls, Self.calls)]])
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model)
        let services = Services(pipeline: pipeline, skillsFolder: skills)
        func running() -> Bool {
            let ps = Process()
            ps.executableURL = URL(filePath: "/bin/ps")
            ps.arguments = ["-eo", "args"]
            let out = Pipe()
            ps.standardOutput = out
            try? ps.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            ps.waitUntilExit()
            return text.contains("sleep \(marker)")
        }
        let events = try await services.agents.run(
            AgentService.Request(messages: [ChatMessage(role: .user, content: "Wait.")]), by: Principal(user: nil, role: .admin))
        let reader = Task {
            for try await event in events {
                if case .toolCall = event { return true }
            }
            return false
        }
        #expect(try await reader.value)
        // The skill is running; the client goes away (its stream is dropped).
        var started = false
        for _ in 0..<50 where !started {
            started = running()
            if !started { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(started)
        _ = consume events
        var stopped = false
        for _ in 0..<50 where !stopped {
            try await Task.sleep(for: .milliseconds(100))
            stopped = !running()
        }
        #expect(stopped, "the skill still runs after its client left")
    }

    @Test(arguments: [
        (#"{}"#, "input"), (#"{"input":"x","messages":[]}"#, "input"), (#"{"input":"x","max_steps":0}"#, "max_steps"),
        (#"{"input":"x","max_tokens":0}"#, "max_tokens"), (#"{"input":"x","skills":["files_read"]}"#, "skills"),
        (#"{"input":"x","skills":["nope"]}"#, "skills"),
        (#"{"input":"x","skills":["calculate"],"tool_choice":{"type":"function","function":{"name":"time_now"}}}"#, "tool_choice"),
    ])
    func badRunsAreClearErrors(_ body: String, _ field: String) async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let (identity, app) = try app(ScriptedProvider(turns: [[.text("hi"), .done(.stop, Self.words)]]))
        let (_, alice, _) = try await IsolationTests.people(identity)
        try await app.test(.router) { client in
            let (status, text, _) = try await IsolationTests.call(client, .post, "/hearth/agents/run", key: alice, body: body)
            #expect(status == .badRequest, "\(text)")
            let error = try #require(try Self.object(text)["error"] as? [String: Any])
            #expect(error["param"] as? String == field, "\(text)")
        }
    }
}
