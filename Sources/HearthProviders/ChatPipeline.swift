import Foundation
import HearthCore
import HearthModels

/// The one path every generation takes, whatever API it came in through:
/// resolve the model → router → provider → token stream. Adapters (OpenAI, later Ollama)
/// translate into and out of it and do nothing else.
public struct ChatPipeline: Sendable {
    public let router: ProviderRouter
    /// Used when a generation request names no model.
    public let defaultModel: String
    /// Used when an embedding request names no model.
    public let defaultEmbeddingModel: String

    /// Where profiles are looked up (a request naming a profile gets its defaults).
    public let store: ModelStore?

    public init(router: ProviderRouter, defaultModel: String, defaultEmbeddingModel: String? = nil, store: ModelStore? = nil) {
        self.router = router
        self.store = store
        self.defaultModel = ModelStore.canonicalName(defaultModel)
        self.defaultEmbeddingModel = ModelStore.canonicalName(defaultEmbeddingModel ?? defaultModel)
    }

    /// Starts a generation; see `InferenceProvider.generate`.
    public func generate(_ request: GenerationRequest) async throws -> AsyncThrowingStream<TokenEvent, any Error> {
        let request = try profiled(request)
        try request.params.validate()
        return try await router.generate(request)
    }

    /// The request with its model's profile (system prompt, template, defaults) applied.
    private func profiled(_ request: GenerationRequest) throws -> GenerationRequest {
        var request = request
        if let store, !ModelStore.isPath(request.model), let profile = try store.entry(request.model)?.profile {
            profile.apply(to: &request)
        }
        return request
    }

    /// How many tokens the request's prompt is, with its profile applied as `generate` applies it.
    public func promptTokens(_ request: GenerationRequest) async throws -> Int {
        let request = try profiled(request)
        return try await router.promptTokens(request)
    }

    /// Embeds the inputs with the model the request names.
    public func embed(_ request: EmbeddingRequest) async throws -> EmbeddingResult {
        try await router.embed(request)
    }

    /// Loads a model ahead of use; see `InferenceProvider.preload`.
    public func preload(_ model: String, keepAlive: TimeInterval?) async throws {
        try await router.preload(model, keepAlive: keepAlive)
    }

    /// Unloads a model wherever it is loaded; returns whether it was.
    public func unload(_ model: String) async -> Bool {
        var unloaded = false
        for provider in router.providers where await provider.unload(model) { unloaded = true }
        return unloaded
    }

    public func loadedModels() async -> [LoadedModel] {
        await router.loadedModels()
    }

    public func models() async throws -> [ModelInfo] {
        try await router.models()
    }
}

extension ChatPipeline: Embedder {
    /// Embeds texts for the knowledge base with `model`.
    public func embed(_ texts: [String], model: String) async throws -> [[Float]] {
        try await embed(EmbeddingRequest(model: model, inputs: texts)).vectors
    }
}
