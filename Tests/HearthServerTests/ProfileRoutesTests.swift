import Foundation
import HearthCore
import HearthModels
import HearthProviders
import HearthServer
import HearthServices
import HearthTesting
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
            router: HTTPServer.router(services: Services(pipeline: pipeline), metrics: Metrics(), apiKeys: [], maxBodyBytes: 1 << 20))
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
}
