import Foundation
import HearthApp
import HearthCore
import HearthEngine
import HearthModels
import HearthProviders
import HearthTesting
import Hummingbird
import HummingbirdTesting
import Testing

/// The local provider as a scheduler, with the real models: keep-alive, explicit unload,
/// the memory budget, and a corrupt model that fails alone.
@Suite(.serialized) struct SchedulerTests {
    static let options = EngineOptions(parallel: 1, contextPerSequence: 256, threads: 2)

    func provider(keepAlive: TimeInterval = 60, maxMemoryBytes: Int64 = .max, events: (any EventBus)? = nil) -> LocalProvider {
        LocalProvider(
            store: TestModels.store, options: Self.options, keepAlive: keepAlive, maxMemoryBytes: maxMemoryBytes, events: events)
    }

    func ask(_ provider: LocalProvider, _ model: String = "smollm2:135m", keepAlive: TimeInterval? = nil) async throws {
        var request = GenerationRequest(model: model, prompt: .text("Hello"), params: GenerationParams(maxTokens: 2, temperature: 0))
        request.keepAlive = keepAlive
        for try await _ in try await provider.generate(request) {}
    }

    func loadedNames(_ provider: LocalProvider) async -> [String] {
        await provider.loadedModels().map(\.name)
    }

    /// Waits (briefly) for the provider to finish what it does after a stream ends.
    func settle(_ provider: LocalProvider, until condition: @escaping ([String]) -> Bool) async -> [String] {
        for _ in 0..<50 {
            let names = await loadedNames(provider)
            if condition(names) { return names }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return await loadedNames(provider)
    }

    @Test func anIdleModelUnloadsWhenItsKeepAliveHasPassed() async throws {
        let bus = MemoryEventBus()
        let heard = bus.subscribe()
        let provider = provider(keepAlive: 60, events: bus)
        try await ask(provider)
        let loaded = await settle(provider) { _ in true }
        #expect(loaded == ["smollm2:135m"])
        let expiry = try #require(await provider.loadedModels().first?.expiresAt)
        #expect(expiry.timeIntervalSinceNow > 50 && expiry.timeIntervalSinceNow <= 60)
        await provider.evictExpired(now: Date().addingTimeInterval(30))
        #expect(await loadedNames(provider) == ["smollm2:135m"])
        await provider.evictExpired(now: Date().addingTimeInterval(61))
        #expect(await loadedNames(provider).isEmpty)
        try await ask(provider)  // and it loads again on the next request
        #expect(await loadedNames(provider) == ["smollm2:135m"])
        await provider.shutdown()
        bus.close()  // fewer events than expected end the loop below instead of hanging it
        // Each load and unload was published (the dashboard shows them).
        var changes: [ModelChange] = []
        for await event in heard {
            guard case .model(let change) = event.body else { continue }
            changes.append(change)
            if changes.count == 4 { break }
        }
        #expect(changes.map(\.action) == [.loaded, .unloaded, .loaded, .unloaded])
        #expect(changes.allSatisfy { $0.name == "smollm2:135m" && $0.memoryBytes > 0 })
        #expect(changes[0].seconds.map { $0 > 0 } == true)
    }

    @Test func keepAliveZeroUnloadsWhenAnsweredAndNegativeStays() async throws {
        let provider = provider()
        try await ask(provider, keepAlive: 0)
        #expect(await settle(provider) { $0.isEmpty }.isEmpty)
        try await ask(provider, keepAlive: -1)
        await provider.evictExpired(now: .distantFuture)
        #expect(await loadedNames(provider) == ["smollm2:135m"])
        #expect(await provider.loadedModels().first?.expiresAt == nil)
        #expect(await provider.unload("smollm2:135m"))  // it goes once its last request has ended
        #expect(await settle(provider) { $0.isEmpty }.isEmpty)
        await provider.shutdown()
    }

    @Test func theLeastRecentlyUsedIdleModelMakesRoomUnderTheBudget() async throws {
        let tokens = Self.options.parallel * Self.options.contextPerSequence
        let smollm = try ModelMetadata.read(URL(filePath: try TestModels.smollm2)).memoryEstimate(contextTokens: tokens)
        let minilm = try ModelMetadata.read(URL(filePath: try TestModels.allMiniLM)).memoryEstimate(contextTokens: tokens)
        let provider = provider(maxMemoryBytes: max(smollm, minilm) + minilm / 2)
        try await ask(provider)
        _ = try await provider.embed(EmbeddingRequest(model: "all-minilm:l6-v2", inputs: ["hello"]))
        #expect(await loadedNames(provider) == ["all-minilm:l6-v2"])
        try await ask(provider)
        #expect(await loadedNames(provider) == ["smollm2:135m"])
        await provider.shutdown()

        let tiny = self.provider(maxMemoryBytes: smollm / 2)
        let error = await #expect(throws: HearthError.self) { try await ask(tiny) }
        #expect(error?.code == .modelLoadFailed)
        #expect(error?.message.contains("HEARTH_MAX_MEMORY") == true)
    }

    /// A store at `root` with `broken:1` (smollm2 cut in half) and the real `smollm2:135m`.
    static func storeWithABrokenModel(_ root: URL) throws -> ModelStore {
        let store = ModelStore(root: root)
        let original = try Data(contentsOf: URL(filePath: try TestModels.smollm2))
        let cut = try store.scratchFile("cut")
        try original.prefix(original.count / 2).write(to: cut)
        try store.install(cut, as: "broken:1")
        let whole = try store.scratchFile("whole")
        try FileManager.default.linkItem(at: URL(filePath: try TestModels.smollm2), to: whole)
        try store.install(whole, as: "smollm2:135m")
        return store
    }

    @Test func aTruncatedModelFailsClearlyAndTheOthersKeepWorking() async throws {
        let store = try Self.storeWithABrokenModel(
            FileManager.default.temporaryDirectory.appending(path: "hearth-truncated-\(UUID().uuidString)"))
        let provider = LocalProvider(store: store, options: Self.options)
        let error = await #expect(throws: HearthError.self) { try await ask(provider, "broken:1") }
        #expect(error?.code == .modelLoadFailed)
        #expect(error?.message.contains("truncated") == true)
        try await ask(provider)
        #expect(await loadedNames(provider) == ["smollm2:135m"])
        await provider.shutdown()
    }
}

/// Through HTTP: a truncated model in the store is a clear 500 for its requests, and the
/// server goes on answering for the others.
@Suite struct BrokenModelServerTests {
    @Test func theServerRefusesATruncatedModelAndKeepsServing() async throws {
        let home = FileManager.default.temporaryDirectory.appending(path: "hearth-broken-\(UUID().uuidString)")
        _ = try SchedulerTests.storeWithABrokenModel(home.appending(path: "models"))
        var configuration = Configuration()
        configuration.paths = Paths(config: home, data: home, cache: home)
        configuration.port = 0
        configuration.parallel = 1
        configuration.contextPerSequence = 256
        configuration.threads = 2
        let app = try await HearthApplication.build(configuration)
        try await app.test(.router) { client in
            for path in ["/v1/chat/completions", "/api/chat"] {
                let body = #"{"model":"broken:1","messages":[{"role":"user","content":"Hi"}],"stream":false}"#
                try await client.execute(uri: path, method: .post, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .internalServerError)
                    #expect(String(buffer: response.body).contains("is not a usable GGUF file: it is truncated"))
                }
            }
            let body = #"{"model":"smollm2:135m","messages":[{"role":"user","content":"Hi"}],"max_tokens":3}"#
            try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
