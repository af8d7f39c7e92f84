import HearthCore
import HearthProviders

/// What the server runs now: loaded models with their slots, queues and memory.
public struct SystemService: Sendable {
    let pipeline: ChatPipeline

    /// The models loaded in every provider that `principal` may see.
    public func loadedModels(by principal: Principal) async -> [LoadedModel] {
        await pipeline.loadedModels().filter { principal.mayUse($0.name) }
    }
}
