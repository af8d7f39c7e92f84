import Foundation
import HearthCore
import HearthEngine
import HearthKnowledge
import HearthModels
import HearthProviders
import HearthSQLite

/// The parts a `Configuration` wires together, shared by the server and the commands that
/// work in-process (`hearth ingest`, `search`, `ask`): the local provider (the scheduler),
/// the chat pipeline over it, and the knowledge base in the data folder.
public struct Runtime: Sendable {
    public let provider: LocalProvider
    public let pipeline: ChatPipeline
    public let knowledge: KnowledgeBase

    /// - Throws: `HearthError` for invalid settings or a knowledge base that cannot be opened.
    public init(_ configuration: Configuration, parallel: Int? = nil) throws {
        try configuration.validate()
        provider = LocalProvider(
            store: ModelStore(root: configuration.paths.models),
            options: EngineOptions(
                parallel: parallel ?? configuration.parallel, contextPerSequence: configuration.contextPerSequence,
                threads: configuration.threads, maxQueue: configuration.maxQueue),
            keepAlive: configuration.keepAlive, maxMemoryBytes: configuration.maxMemoryBytes)
        pipeline = ChatPipeline(
            router: ProviderRouter(providers: [provider]), defaultModel: configuration.models[0],
            defaultEmbeddingModel: configuration.embeddingModel, store: provider.store)
        knowledge = KnowledgeBase(
            store: try SQLiteKnowledgeStore(paths: configuration.paths), embedder: pipeline, embeddingModel: pipeline.defaultEmbeddingModel)
    }
}
