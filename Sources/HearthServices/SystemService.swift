import HearthCore
import HearthProviders

/// What the server runs now: loaded models with their slots, queues and memory.
public struct SystemService: Sendable {
    let pipeline: ChatPipeline

    /// The models loaded in every provider.
    public func loadedModels() async -> [LoadedModel] {
        await pipeline.loadedModels()
    }
}
