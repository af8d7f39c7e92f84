import Foundation
import HearthCore
import HearthModels
import HearthProviders
import HearthServer
import HearthServices
import HearthTesting
import HearthWire
import Hummingbird
import HummingbirdTesting
import Testing

/// A request naming a profile reaches the provider with the profile's defaults applied.
@Suite struct ProfileRoutesTests {
    @Test func theProfilesSystemPromptAndParametersReachTheProvider() async throws {
        let store = ModelStore(root: FileManager.default.temporaryDirectory.appending(path: "hearth-profiles-\(UUID().uuidString)"))
        let file = try store.scratchFile("test")
        try Data("weights".utf8).write(to: file)
        try store.install(file, as: "base:1")
        var parameters = Profile.Parameters()
        parameters.temperature = 0.25
        try store.create("scripted:test", profile: Profile(from: "base:1", system: "You are a pirate.", parameters: parameters))
        let provider = ScriptedProvider(model: "scripted:test")
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model, store: store)
        let app = Application(
            router: HTTPServer.router(services: Services(pipeline: pipeline), metrics: Metrics(), maxBodyBytes: 1 << 20))
        try await app.test(.router) { client in
            let body = #"{"model":"scripted:test","messages":[{"role":"user","content":"Hi"}],"max_tokens":9}"#
            try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
            }
        }
        let received = try #require(provider.requests.first)
        #expect(
            received.prompt == .chat([ChatMessage(role: .system, content: "You are a pirate."), ChatMessage(role: .user, content: "Hi")]))
        #expect(received.params.temperature == 0.25)
        #expect(received.params.maxTokens == 9)
    }

    /// `/hearth/models` and Ollama's `/api/tags`, `/api/show`, `/api/copy`, `/api/delete` go
    /// through one model service: they see and change the same store.
    @Test func nativeAndOllamaModelRoutesShareOneService() async throws {
        let store = ModelStore(root: FileManager.default.temporaryDirectory.appending(path: "hearth-models-\(UUID().uuidString)"))
        defer { try? FileManager.default.removeItem(at: store.root) }
        let file = try store.scratchFile("test")
        try Data("weights".utf8).write(to: file)
        try store.install(file, as: "base:1")
        let provider = ScriptedProvider(model: "base:1")
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model, store: store)
        let app = Application(
            router: HTTPServer.router(services: Services(pipeline: pipeline), metrics: Metrics(), maxBodyBytes: 1 << 20))
        try await app.test(.router) { client in
            let create = #"{"name":"pirate:1","modelfile":"FROM base:1\nSYSTEM You are a pirate.\nPARAMETER temperature 0.3"}"#
            try await client.execute(uri: "/hearth/models", method: .post, body: ByteBuffer(string: create)) { response in
                #expect(response.status == .created)
            }
            try await client.execute(
                uri: "/api/copy", method: .post, body: ByteBuffer(string: #"{"source":"base:1","destination":"copy:1"}"#)
            ) {
                #expect($0.status == .ok)
            }
            var native: [String] = []
            try await client.execute(uri: "/hearth/models", method: .get) { response in
                let list = try JSONDecoder().decode(ModelsWire.ModelList.self, from: Data(buffer: response.body))
                native = list.models.map(\.name)
                #expect(list.models.first { $0.name == "pirate:1" }?.profileOf == "base:1")
            }
            try await client.execute(uri: "/api/tags", method: .get) { response in
                let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                let names = (object?["models"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
                #expect(names == native)
            }
            #expect(native == ["base:1", "copy:1", "pirate:1"])
            // Fields need no Modelfile quoting: a system prompt with \"\"\" and a stop string with a newline stay whole.
            let fields = #"{"name":"quoted:1","from":"base:1","system":"Say \"\"\"hi\"\"\".","stop":["a\nb"],"parameters":{"top_k":"5"}}"#
            try await client.execute(uri: "/hearth/models", method: .post, body: ByteBuffer(string: fields)) { response in
                #expect(response.status == .created)
                let created = try JSONDecoder().decode(ModelsWire.Changed.self, from: Data(buffer: response.body))
                #expect(created.from == "base:1")
            }
            let quoted = try #require(try store.entry("quoted:1")?.profile)
            #expect(quoted.system == #"Say """hi"""."#)
            #expect(quoted.stop == ["a\nb"])
            #expect(quoted.parameters.topK == 5)
            let bad = #"{"name":"bad:1","modelfile":"FROM base:1\nPARAMETER temperature hot"}"#
            try await client.execute(uri: "/hearth/models", method: .post, body: ByteBuffer(string: bad)) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("line 2"))
            }
            try await client.execute(uri: "/hearth/models/copy:1", method: .delete) { response in
                let deleted = try JSONDecoder().decode(ModelsWire.Changed.self, from: Data(buffer: response.body))
                #expect(deleted.name == "copy:1" && deleted.freedBytes == 0)
            }
            try await client.execute(uri: "/api/delete", method: .delete, body: ByteBuffer(string: #"{"model":"copy:1"}"#)) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/hearth/models/nope:1", method: .get) { response in
                #expect(response.status == .notFound)
            }
            // A shared server never opens a file a request names.
            let file = store.root.appending(path: "blobs").path + "/x.gguf"
            try Data("GGUF".utf8).write(to: URL(filePath: file))
            let segment = file.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? file
            try await client.execute(uri: "/hearth/models/\(segment)", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/show", method: .post, body: ByteBuffer(string: #"{"model":"\#(file)"}"#)) {
                #expect($0.status == .notFound)
            }
        }
    }
}
