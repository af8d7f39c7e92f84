import HearthCore

/// Picks the provider that serves a model. Providers are asked in order; the first that
/// serves the model wins. Remote providers, fallback and health come in later.
public struct ProviderRouter: Sendable {
    public let providers: [any InferenceProvider]

    public init(providers: [any InferenceProvider]) {
        self.providers = providers
    }

    /// - Throws: `HearthError.modelNotFound` when no provider serves `model`.
    public func provider(for model: String) async throws -> any InferenceProvider {
        for provider in providers where await provider.serves(model) {
            return provider
        }
        throw HearthError.modelNotFound(model)
    }

    /// Loaded models of every provider.
    public func loadedModels() async -> [LoadedModel] {
        var all: [LoadedModel] = []
        for provider in providers { all += await provider.loadedModels() }
        return all
    }

    /// Every model of every provider, first provider first, without duplicates.
    public func models() async throws -> [ModelInfo] {
        var seen = Set<String>()
        var all: [ModelInfo] = []
        for provider in providers {
            for model in try await provider.models() where seen.insert(model.id).inserted {
                all.append(model)
            }
        }
        return all
    }
}
