import Foundation
import HTTPTypes
import HearthCore
import HearthProviders
import HearthServer
import HearthServices
import HearthTesting
import HearthWire
import Hummingbird
import HummingbirdTesting
import Testing

/// config.toml read again while serving (SIGHUP, `hearth reload`), aliases, and fallback
/// models per model and per request.
struct GatewayReloadTests {
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appending(path: "reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    static func text(_ events: AsyncThrowingStream<TokenEvent, any Error>) async throws -> String {
        var text = ""
        for try await event in events { if case .text(let piece) = event { text += piece } }
        return text
    }

    static func ask(_ model: String, fallbacks: [String]? = nil) -> GenerationRequest {
        var request = GenerationRequest(model: model, prompt: .chat([ChatMessage(role: .user, content: "Hi")]))
        request.fallbacks = fallbacks
        return request
    }

    @Test func aReloadRoutesNewRequestsByTheFileAndAMistakeKeepsTheRoutesInUse() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "config.toml")
        let local = ScriptedProvider(model: "smollm2:135m", pieces: ["local"])
        try """
        [[providers]]
        name = "backup"
        base_url = "http://127.0.0.1:9/v1"

        [[models]]
        name = "team"
        aliases = ["crew", "squad:v2"]
        deployments = [{ provider = "local", model = "smollm2:135m" }]
        """.write(to: file, atomically: true, encoding: .utf8)
        let router = try GatewayConfiguration.load(from: file).router(local: local)
        let reloader = GatewayReloader(file: file, local: local, router: router)
        #expect(Set(router.routes.keys) == ["team:latest", "crew:latest", "squad:v2"])
        #expect(try await Self.text(router.generate(Self.ask("crew:latest"))) == "local")
        // A stream started before the reload goes on where it started.
        let started = try await router.generate(Self.ask("team:latest"))
        try """
        [[providers]]
        name = "backup"
        base_url = "http://127.0.0.1:9/v1"

        [[models]]
        name = "other"
        deployments = [{ provider = "backup" }]
        """.write(to: file, atomically: true, encoding: .utf8)
        let summary = try reloader.reload()
        #expect(summary == GatewayReloader.Summary(providers: ["scripted", "backup"], models: ["other:latest"]))
        #expect(try await Self.text(started) == "local")
        #expect(Set(router.routes.keys) == ["other:latest"])
        await #expect(throws: HearthError.self) { try await router.generate(Self.ask("crew:latest")) }
        // A file with a mistake is refused, naming it; the routes stay.
        try "[[models]]\nname = \"m\"\ndeployments = [{ provider = \"nowhere\" }]".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: HearthError.self) { try reloader.reload() }
        #expect(Set(router.routes.keys) == ["other:latest"])
        try "[[models]]\nname = \"a\"\naliases = [\"a:latest\"]\ndeployments = [{ provider = \"local\" }]".write(
            to: file, atomically: true, encoding: .utf8)
        #expect(throws: HearthError.self) { try reloader.reload() }
    }

    @Test func onlyAnAdministratorReloadsThroughTheServer() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "config.toml")
        try "[[models]]\nname = \"team\"\ndeployments = [{ provider = \"local\", model = \"scripted:test\" }]".write(
            to: file, atomically: true, encoding: .utf8)
        let stores = try TestStores(in: folder)
        let local = ScriptedProvider()
        let router = ProviderRouter(providers: [local])
        let pipeline = ChatPipeline(router: router, defaultModel: local.model)
        let services = Services(
            pipeline: pipeline, identity: stores.identity, gateway: GatewayReloader(file: file, local: local, router: router))
        let app = Application(router: HTTPServer.router(services: services, metrics: Metrics(), maxBodyBytes: 1 << 20))
        let (admin, alice, _) = try await IsolationTests.people(stores.identity)
        try await app.test(.router) { client in
            func reload(_ key: String) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(uri: "/hearth/reload", method: .post, headers: [.authorization: "Bearer \(key)"]) {
                    ($0.status, String(buffer: $0.body))
                }
            }
            #expect(try await reload(alice).0 == .forbidden)
            #expect(router.routes.isEmpty)
            let (status, body) = try await reload(admin)
            #expect(status == .ok && body.contains("team:latest"), "\(body)")
            #expect(router.routes["team:latest"]?.first?.model == "scripted:test")
            try "[[models]\n".write(to: file, atomically: true, encoding: .utf8)
            let (broken, message) = try await reload(admin)
            #expect(broken == .badRequest && message.contains("config.toml"), "\(message)")
            #expect(router.routes["team:latest"] != nil)
        }
    }

    @Test func aModelsFallbacksAnswerWhenItsDeploymentsFail() async throws {
        let down = ScriptedProvider(model: "big:1", failure: HearthError(.unavailable, "down"))
        let spare = ScriptedProvider(model: "small:1", pieces: ["spare"])
        let router = ProviderRouter(
            providers: [down, spare], routes: ["big:1": [.init(provider: down, model: "big:1")]],
            fallbacks: ["big:1": ["small:1"]])
        let choice = RoutingChoice()
        let answer = try await RoutingChoice.$current.withValue(choice) { try await Self.text(router.generate(Self.ask("big:1"))) }
        #expect(answer == "spare" && choice.failures.map(\.code) == ["unavailable"])
        // The request's own list comes first; a model nothing serves may still fall back.
        #expect(try await Self.text(router.generate(Self.ask("nowhere:1", fallbacks: ["small:1"]))) == "spare")
        await #expect(throws: HearthError.self) { try await Self.text(router.generate(Self.ask("big:1", fallbacks: []))) }
        await #expect(throws: HearthError.self) { try await Self.text(router.generate(Self.ask("nowhere:1", fallbacks: ["nowhere:2"]))) }
        // A wrong request is wrong everywhere: no fallback.
        let wrong = ScriptedProvider(model: "strict:1", failure: HearthError.invalidRequest("bad", field: "x"))
        let strict = ProviderRouter(providers: [wrong, spare], fallbacks: ["strict:1": ["small:1"]])
        await #expect(throws: HearthError.self) { try await Self.text(strict.generate(Self.ask("strict:1"))) }
        #expect(spare.requests.count == 2)
    }

    @Test func aRequestsFallbacksNeedModelsItsKeyMayUse() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let stores = try TestStores(in: folder)
        let down = ScriptedProvider(model: "big:1", failure: HearthError(.unavailable, "down"))
        let spare = ScriptedProvider(model: "small:1", pieces: ["spare"])
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [down, spare]), defaultModel: "big:1")
        let services = Services(pipeline: pipeline, identity: stores.identity)
        let app = Application(router: HTTPServer.router(services: services, metrics: Metrics(), maxBodyBytes: 1 << 20))
        let (admin, _, _) = try await IsolationTests.people(stores.identity)
        let (_, narrow) = try await services.identity.createKey(
            for: "alice", label: "narrow", expiresIn: nil, models: ["big:1"], collections: nil, by: .operator)
        try await app.test(.router) { client in
            func ask(_ key: String, _ fallbacks: String) async throws -> (HTTPResponse.Status, String) {
                let body = #"{"model":"big:1","messages":[{"role":"user","content":"Hi"}],"fallbacks":\#(fallbacks)}"#
                return try await client.execute(
                    uri: "/v1/chat/completions", method: .post,
                    headers: [.authorization: "Bearer \(key)", .contentType: "application/json"], body: ByteBuffer(string: body)
                ) { ($0.status, String(buffer: $0.body)) }
            }
            let (status, body) = try await ask(admin, #"["small:1"]"#)
            #expect(status == .ok && body.contains("spare"), "\(body)")
            #expect(try await ask(narrow, #"["small:1"]"#).0 == .notFound)
            #expect(try await ask(admin, #"[""]"#).0 == .badRequest)
        }
    }
}
