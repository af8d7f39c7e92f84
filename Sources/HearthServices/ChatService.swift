import HearthCore
import HearthModels
import HearthProviders

/// Generations and embeddings, whatever API they came in through: the model's canonical
/// name, its profile, retrieval from `collections`, then the provider's token stream.
public struct ChatService: Sendable {
    let pipeline: ChatPipeline
    let knowledge: KnowledgeService?

    /// Used when a generation request names no model.
    public var defaultModel: String { pipeline.defaultModel }
    /// Used when an embedding request names no model.
    public var defaultEmbeddingModel: String { pipeline.defaultEmbeddingModel }

    /// Starts a generation. With `collections`, the last message is a question answered from
    /// those knowledge-base collections (earlier turns go along), citing [n], ending with its sources.
    /// - Throws: `HearthError` (unknown model, invalid parameters, prompt too long, unknown
    ///   collection); later failures arrive in the stream.
    public func generate(_ request: GenerationRequest, collections: [String] = [], by principal: Principal) async throws
        -> AsyncThrowingStream<TokenEvent, any Error>
    {
        var request = request
        request.model = try Self.allowed(request.model, for: principal)
        guard !collections.isEmpty else { return try await pipeline.generate(request) }
        guard let knowledge else { throw HearthError.invalidRequest("this server has no knowledge base", field: "collections") }
        guard case .chat(let messages) = request.prompt, let question = messages.last, question.role == .user else {
            throw HearthError.invalidRequest("with 'collections', the last message must be the user's question", field: "messages")
        }
        let answer = try await knowledge.ask(
            RetrievalQuery(text: question.content, collections: collections), model: request.model, params: request.params,
            history: messages.dropLast().filter { $0.role != .system }, keepAlive: request.keepAlive, by: principal)
        return answer.events
    }

    /// Embeds the request's inputs.
    /// - Throws: `HearthError` for an unknown model or an input longer than its context.
    public func embed(_ request: EmbeddingRequest, by principal: Principal) async throws -> EmbeddingResult {
        var request = request
        request.model = try Self.allowed(request.model, for: principal)
        return try await pipeline.embed(request)
    }

    /// Loads `model` ahead of use, kept for `keepAlive` seconds (nil: the server's default).
    public func load(_ model: String, keepAlive: Double?, by principal: Principal) async throws {
        try await pipeline.preload(try Self.allowed(model, for: principal), keepAlive: keepAlive)
    }

    /// Unloads `model` wherever it is loaded; returns whether it was.
    @discardableResult
    /// Only administrators unload (a user would take a model from everyone using it).
    /// - Throws: `HearthError.forbidden` for a user.
    public func unload(_ model: String, by principal: Principal) async throws -> Bool {
        try IdentityService.requireAdmin(principal)
        return await pipeline.unload(ModelStore.canonicalName(model))
    }

    /// Every model the providers serve that `principal` may use.
    public func models(by principal: Principal) async throws -> [ModelInfo] {
        try await pipeline.models().filter { principal.mayUse($0.id) }
    }

    /// `model`'s canonical name, when `principal`'s key may use it.
    /// - Throws: `HearthError.modelNotFound` for a model outside the key's list (as if it
    ///   were not installed: a key does not learn what else exists).
    static func allowed(_ model: String, for principal: Principal) throws -> String {
        guard principal.mayUse(model) else { throw HearthError.modelNotFound(model) }
        return ModelStore.canonicalName(model)
    }
}

extension Principal {
    /// Whether this principal's key lets it use (or see) `model`: any model, unless the key
    /// names a list.
    func mayUse(_ model: String) -> Bool {
        guard let allowed = key?.models else { return true }
        let name = ModelStore.canonicalName(model)
        return allowed.contains { ModelStore.canonicalName($0) == name }
    }
}
