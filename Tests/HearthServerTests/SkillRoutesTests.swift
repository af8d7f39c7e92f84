import Foundation
import HTTPTypes
import HearthCore
import HearthKnowledge
import HearthProviders
import HearthSQLite
import HearthServer
import HearthServices
import HearthTesting
import Hummingbird
import HummingbirdTesting
import Testing

/// `/hearth/skills` over a real server's routes: built-ins, the caller's rights, folder
/// skills found as they appear, and the sandbox stopping hostile ones (real bubblewrap).
@Suite(.serialized) struct SkillRoutesTests {
    let folder = FileManager.default.temporaryDirectory.appending(path: "skills-\(UUID().uuidString)")
    var skills: URL { folder.appending(path: "skills") }
    var shared: URL { folder.appending(path: "shared") }

    func app() throws -> (IdentityService, some ApplicationProtocol) {
        try FileManager.default.createDirectory(at: skills, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
        let stores = try TestStores(in: folder)
        let (store, identityStore, identity) = (stores.knowledge, stores.identityStore, stores.identity)
        let provider = ScriptedProvider()
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model)
        let knowledge = KnowledgeBase(store: store, embedder: HashingEmbedder(), embeddingModel: provider.model)
        let services = Services(
            pipeline: pipeline, knowledge: knowledge, ingestRoots: [shared.path], identity: identity, conversations: identityStore,
            skillsFolder: skills)
        return (identity, Application(router: HTTPServer.router(services: services, metrics: Metrics(), maxBodyBytes: 1 << 20)))
    }

    /// A skill folder whose program is `script` (a shell script, run as `./run`).
    func addSkill(_ name: String, script: String, extra: String = "") throws {
        let skill = skills.appending(path: name)
        try FileManager.default.createDirectory(at: skill, withIntermediateDirectories: true)
        try "---\nname: \(name)\ndescription: \(name) for tests\n\(extra)---\n".write(
            to: skill.appending(path: "SKILL.md"), atomically: true, encoding: .utf8)
        try "#!/bin/sh\n\(script)\n".write(to: skill.appending(path: "run"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: skill.appending(path: "run").path)
    }

    func run(_ client: some TestClientProtocol, _ name: String, _ arguments: String, key: String) async throws -> (
        HTTPResponse.Status, [String: Any]
    ) {
        let (status, text, _) = try await IsolationTests.call(client, .post, "/hearth/skills/\(name)", key: key, body: arguments)
        return (status, try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)"))
    }

    func names(_ client: some TestClientProtocol, key: String) async throws -> [String] {
        let (_, text, _) = try await IsolationTests.call(client, .get, "/hearth/skills", key: key)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        return (list["skills"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    @Test func builtinsRunAndBadInputIsAClearError() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let (identity, app) = try app()
        let (_, alice, _) = try await IsolationTests.people(identity)
        try await app.test(.router) { client in
            let (status, result) = try await run(
                client, "calculate", #"{"arguments":{"expression":"2 ^ 3 ^ 2 - (10 % 4) * 1.5"}}"#, key: alice)
            #expect(status == .ok)
            #expect(result["output"] as? String == "509")
            #expect(result["is_error"] as? Bool == false)
            let divided = try await run(client, "calculate", #"{"arguments":{"expression":"1/0"}}"#, key: alice)
            #expect(divided.1["is_error"] as? Bool == true)
            #expect((divided.1["output"] as? String)?.contains("division by zero") == true)
            #expect(try await run(client, "calculate", #"{"arguments":{}}"#, key: alice).0 == .badRequest)
            #expect(try await run(client, "calculate", #"{"arguments":{"expression":7}}"#, key: alice).0 == .badRequest)
            #expect(try await run(client, "calculate", #"{"arguments":[1]}"#, key: alice).0 == .badRequest)
            #expect(try await run(client, "no_such_skill", "{}", key: alice).0 == .notFound)
            let time = try await run(client, "time_now", #"{"arguments":{"timezone":"Asia/Tokyo"}}"#, key: alice)
            #expect((time.1["output"] as? String)?.contains("+09:00") == true, "\(time.1)")
            let risk = try await run(client, "shell_risk", #"{"arguments":{"command":"rm -rf ~/projects"}}"#, key: alice)
            #expect((risk.1["output"] as? String)?.contains(#""level":"risky""#) == true, "\(risk.1)")
        }
    }

    @Test func fileSkillsAreTheAdministratorsAndStayInsideTheRoots() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let (identity, app) = try app()
        let (admin, alice, _) = try await IsolationTests.people(identity)
        try "shared notes\n".write(to: shared.appending(path: "notes.txt"), atomically: true, encoding: .utf8)
        try "secret".write(to: folder.appending(path: "outside.txt"), atomically: true, encoding: .utf8)
        try await app.test(.router) { client in
            #expect(try await names(client, key: alice).contains("files_read") == false)
            #expect(try await names(client, key: admin).contains("files_read"))
            let path = shared.appending(path: "notes.txt").path
            #expect(try await run(client, "files_read", #"{"arguments":{"path":"\#(path)"}}"#, key: alice).0 == .notFound)
            let read = try await run(client, "files_read", #"{"arguments":{"path":"\#(path)"}}"#, key: admin)
            #expect(read.1["output"] as? String == "shared notes\n")
            let listed = try await run(client, "files_list", #"{"arguments":{"path":"\#(shared.path)"}}"#, key: admin)
            #expect((listed.1["output"] as? String)?.contains("notes.txt") == true)
            // Out through `..`: refused, and nothing of the file comes back.
            let escape = try await run(
                client, "files_read", #"{"arguments":{"path":"\#(shared.path)/../outside.txt"}}"#, key: admin)
            #expect(escape.1["is_error"] as? Bool == true)
            #expect((escape.1["output"] as? String)?.contains("outside the folders") == true)
        }
    }

    @Test func knowledgeSkillsSearchOnlyTheCallersCollections() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let (identity, app) = try app()
        let (_, alice, bob) = try await IsolationTests.people(identity)
        try await app.test(.router) { client in
            #expect(try await IsolationTests.call(client, .post, "/hearth/collections", key: bob, body: #"{"name":"bobs"}"#).0 == .created)
            let named = try await run(client, "knowledge_search", #"{"arguments":{"query":"plan","collections":["bobs"]}}"#, key: alice)
            #expect(named.1["is_error"] as? Bool == true)
            let all = try await run(client, "knowledge_search", #"{"arguments":{"query":"plan"}}"#, key: alice)
            #expect((all.1["output"] as? String)?.contains("no collections") == true, "\(all.1)")
        }
    }

    @Test func folderSkillsAppearWithoutARestartAndBrokenOnesAreReported() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let (identity, app) = try app()
        let (admin, alice, _) = try await IsolationTests.people(identity)
        try await app.test(.router) { client in
            #expect(try await names(client, key: alice).contains("echo_input") == false)
            try addSkill(
                "echo_input", script: "cat", extra: #"input_schema: {"type": "object", "properties": {"word": {"type": "string"}}}"# + "\n")
            #expect(try await names(client, key: alice).contains("echo_input"))
            let echoed = try await run(client, "echo_input", #"{"arguments":{"word":"hello"}}"#, key: alice)
            #expect(echoed.1["output"] as? String == #"{"word":"hello"}"#, "\(echoed.1)")
            #expect(try await run(client, "echo_input", #"{"arguments":{"word":3}}"#, key: alice).0 == .badRequest)

            try FileManager.default.createDirectory(at: skills.appending(path: "broken"), withIntermediateDirectories: true)
            try "no front matter".write(to: skills.appending(path: "broken/SKILL.md"), atomically: true, encoding: .utf8)
            let (_, forAdmin, _) = try await IsolationTests.call(client, .get, "/hearth/skills", key: admin)
            #expect(forAdmin.contains("must start with a '---' line"), "\(forAdmin)")
            let (_, forAlice, _) = try await IsolationTests.call(client, .get, "/hearth/skills", key: alice)
            #expect(!forAlice.contains("broken"))
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/bwrap"), "needs bubblewrap (make test installs it)"))
    func theSandboxStopsHostileSkillsAndTheServerGoesOn() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let (identity, app) = try app()
        let (_, alice, _) = try await IsolationTests.people(identity)
        try "the server's secret".write(to: folder.appending(path: "secret.txt"), atomically: true, encoding: .utf8)
        // A server on loopback that the network skill tries to reach.
        let listener = try LoopbackListener()
        defer { listener.close() }
        try addSkill("snoop", script: "cat \(folder.path)/secret.txt; cat /skill/../../\(folder.path)/secret.txt")
        // bash's /dev/tcp (sh is dash here).
        try addSkill("reach", script: "exec bash -c 'exec 3<>/dev/tcp/127.0.0.1/\(listener.port) && echo connected'")
        try addSkill("linger", script: "sleep 30", extra: "timeout: 1\n")
        try addSkill("flood", script: "head -c 100000000 /dev/zero | tr '\\0' x")
        try addSkill("tidy", script: "echo \"$HOME $(env | wc -l)\"; touch /skill/mark 2>/dev/null || echo read-only")
        try await app.test(.router) { client in
            let snoop = try await run(client, "snoop", "{}", key: alice)
            #expect(snoop.1["is_error"] as? Bool == true)
            #expect((snoop.1["output"] as? String)?.contains("the server's secret") == false)
            let reach = try await run(client, "reach", "{}", key: alice)
            #expect(reach.1["is_error"] as? Bool == true, "\(reach.1)")
            #expect(listener.accepted == 0)
            let linger = try await run(client, "linger", "{}", key: alice)
            #expect((linger.1["output"] as? String)?.contains("time limit of 1 s") == true, "\(linger.1)")
            let flood = try await run(client, "flood", "{}", key: alice)
            #expect((flood.1["output"] as? String)?.contains("printed more than") == true)
            let tidy = try await run(client, "tidy", "{}", key: alice)
            #expect(tidy.1["output"] as? String == "/work 6\nread-only\n", "\(tidy.1)")
            // The server goes on.
            #expect(try await run(client, "calculate", #"{"arguments":{"expression":"1+1"}}"#, key: alice).1["output"] as? String == "2")
        }
    }
}

/// A TCP listener on a free loopback port that counts the connections it accepts.
final class LoopbackListener: @unchecked Sendable {
    let descriptor: Int32
    let port: Int

    init() throws {
        (descriptor, port) = try FreePort.silentListener()
        _ = fcntl(descriptor, F_SETFL, O_NONBLOCK)
    }

    /// Connections accepted so far (polled, never blocks).
    var accepted: Int {
        var count = 0
        while case let client = accept(descriptor, nil, nil), client >= 0 {
            count += 1
            Glibc.close(client)
        }
        return count
    }

    func close() { Glibc.close(descriptor) }
}
