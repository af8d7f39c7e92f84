import Foundation
import HearthCore
import HearthModels
import HearthProviders

/// Generations and embeddings, whatever API they came in through: the model's canonical
/// name, its profile, retrieval from `collections`, then the provider's token stream; tokens
/// reserved against the caller's limits before, settled after; answers kept and replayed
/// (`AnswerCaching`); the exchange kept in a conversation when the request names one.
public struct ChatService: Sendable {
    let pipeline: ChatPipeline
    let knowledge: KnowledgeService?
    let limits: LimitService
    let conversations: ConversationService
    /// Answers kept per caller and replayed (exact and semantic).
    let caching: AnswerCaching
    /// Reads the text of images sent with messages.
    let vision: VisionService

    /// Used when a generation request names no model.
    public var defaultModel: String { pipeline.defaultModel }
    /// Used when an embedding request names no model.
    public var defaultEmbeddingModel: String { pipeline.defaultEmbeddingModel }

    /// Starts a generation. With `collections`, the last message is a question answered from
    /// those knowledge-base collections (earlier turns go along), citing [n], ending with its
    /// sources. With `conversation` (from `ConversationService.resolve`), the chat's messages
    /// and the answer are kept in it once the answer ends.
    /// - Throws: `HearthError` (unknown model, invalid parameters, prompt too long, unknown
    ///   collection, a limit reached); later failures arrive in the stream.
    public func generate(
        _ request: GenerationRequest, collections: [String] = [], conversation: Conversation? = nil, by principal: Principal
    ) async throws -> AsyncThrowingStream<TokenEvent, any Error> {
        try await start(request, collections: collections, conversation: conversation, by: principal).events
    }

    /// A generation started, with the passages it answers from.
    public struct Started: Sendable {
        public var events: AsyncThrowingStream<TokenEvent, any Error>
        /// What an answer from collections cites as [n] (in order); empty without collections.
        public var sources: [SearchHit]
    }

    /// Starts a generation as `generate` does, also returning the sources it answers from.
    public func start(
        _ request: GenerationRequest, collections: [String] = [], conversation: Conversation? = nil, by principal: Principal
    ) async throws -> Started {
        var request = request
        request.model = try Self.allowed(request.model, for: principal)
        request.fallbacks = try request.fallbacks?.map { try Self.allowed($0, for: principal) }
        request.prompt = try await readingImages(request.prompt, by: principal)
        let events: AsyncThrowingStream<TokenEvent, any Error>
        var sources: [SearchHit] = []
        if collections.isEmpty {
            events = try await caching.answer(request, by: principal) {
                try await Self.metered(request, pipeline: pipeline, limits: limits, by: principal)
            }
        } else {
            guard let knowledge else { throw HearthError.invalidRequest("this server has no knowledge base", field: "collections") }
            guard case .chat(let messages) = request.prompt, let question = messages.last, question.role == .user else {
                throw HearthError.invalidRequest("with 'collections', the last message must be the user's question", field: "messages")
            }
            let answer = try await knowledge.ask(
                RetrievalQuery(text: question.content, collections: collections), model: request.model, params: request.params,
                history: messages.dropLast().filter { $0.role != .system }, keepAlive: request.keepAlive, by: principal)
            (events, sources) = (answer.events, answer.sources)
        }
        guard let conversation, case .chat(let messages) = request.prompt else { return Started(events: events, sources: sources) }
        let model = request.model
        let watched = Self.watched(events) { [conversations] outcome in
            // A stopped answer is kept as far as it got; one that failed before any text is not.
            guard outcome.usage != nil || !outcome.text.isEmpty || !outcome.toolCalls.isEmpty else { return }
            let reply = ChatMessage(
                role: .assistant, content: outcome.text, toolCalls: outcome.toolCalls.isEmpty ? nil : outcome.toolCalls)
            try? await conversations.record(messages, reply: reply, model: model, in: conversation)
        }
        return Started(events: watched, sources: sources)
    }

    /// Embeds the request's inputs.
    /// - Throws: `HearthError` for an unknown model, an input longer than its context, a limit reached.
    public func embed(_ request: EmbeddingRequest, by principal: Principal) async throws -> EmbeddingResult {
        var request = request
        request.model = try Self.allowed(request.model, for: principal)
        guard limits.limitsTokens(principal) else { return try await pipeline.embed(request) }
        // Never fewer than the inputs' tokens: one per UTF-8 byte, two more for the markers.
        let reservation = try await limits.reserve(request.inputs.reduce(0) { $0 + $1.utf8.count + 2 }, for: principal)
        do {
            let result = try await pipeline.embed(request)
            await reservation.settle(used: result.promptTokens)
            return result
        } catch {
            await reservation.settle(used: 0)
            throw error
        }
    }

    /// `max_tokens` of a request without one, when its caller has token limits (or less: what
    /// the limits have left).
    static let impliedMaxTokens = 4_096

    /// Most images in one request.
    static let mostImages = 8

    /// `prompt` with each message's images read by OCR into its text, marked as such: the
    /// model reads what the image says (Hearth serves no vision model), and nothing else
    /// (caches, conversations) ever holds the image.
    /// - Throws: `HearthError.invalidRequest` for more than `mostImages` images, or one that
    ///   is not an image Hearth reads.
    func readingImages(_ prompt: Prompt, by principal: Principal) async throws -> Prompt {
        guard case .chat(var messages) = prompt, messages.contains(where: { !($0.images ?? []).isEmpty }) else { return prompt }
        guard messages.reduce(0, { $0 + ($1.images?.count ?? 0) }) <= Self.mostImages else {
            throw HearthError.invalidRequest("at most \(Self.mostImages) images in one request", field: "messages")
        }
        for index in messages.indices {
            for (number, image) in (messages[index].images ?? []).enumerated() {
                let text: String
                do {
                    text = try await vision.read(image, by: principal).text
                } catch let error as HearthError {
                    throw HearthError.invalidRequest(
                        "image \(number + 1) of message \(index + 1): \(error.message)", field: "messages[\(index)]")
                }
                let read = text.isEmpty ? "(no text found)" : text
                messages[index].content +=
                    (messages[index].content.isEmpty ? "" : "\n\n") + "[Text read from an image by OCR]\n\(read)\n[End of the image's text]"
            }
            messages[index].images = nil
        }
        return .chat(messages)
    }

    /// `request`'s generation, its tokens (its prompt's and `max_tokens`, or without one up to
    /// `impliedMaxTokens`) reserved against `principal`'s limits first and settled with the
    /// answer's usage.
    static func metered(_ request: GenerationRequest, pipeline: ChatPipeline, limits: LimitService, by principal: Principal)
        async throws -> AsyncThrowingStream<TokenEvent, any Error>
    {
        guard limits.limitsTokens(principal) else { return try await pipeline.generate(request) }
        var request = request
        try request.params.validate()
        // Spent: refused before the model is loaded to count the prompt.
        let room = try await limits.room(for: principal)
        if let room, room < 1 { _ = try await limits.reserve(1, for: principal) }
        let prompt = try await pipeline.promptTokens(request)
        if request.params.maxTokens == nil, let room {
            request.params.maxTokens = max(1, min(impliedMaxTokens, room - prompt))
        }
        let reservation = try await limits.reserve(prompt + (request.params.maxTokens ?? 0), for: principal)
        let events: AsyncThrowingStream<TokenEvent, any Error>
        do {
            events = try await pipeline.generate(request)
        } catch {
            await reservation.settle(used: 0)
            throw error
        }
        // Cut short, an answer counts its prompt and a token per piece of text.
        return watched(events) { outcome in await reservation.settle(used: outcome.usage?.totalTokens ?? prompt + outcome.pieces) }
    }

    /// What a watched generation produced.
    struct Outcome: Sendable {
        var text = ""
        var pieces = 0
        var toolCalls: [ToolCall] = []
        /// Set when the generation ended normally.
        var usage: Usage?
        var reason: FinishReason?
    }

    /// `events` passed through, with `atEnd` told what they held once they end: before the
    /// final event when they end normally (so that its effects are there when the client
    /// sees the end), else when they fail or the client leaves.
    static func watched(
        _ events: AsyncThrowingStream<TokenEvent, any Error>, atEnd: @escaping @Sendable (Outcome) async -> Void
    ) -> AsyncThrowingStream<TokenEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<TokenEvent, any Error>.makeStream()
        let task = Task {
            var outcome = Outcome()
            do {
                for try await event in events {
                    switch event {
                    case .text(let text):
                        outcome.text += text
                        outcome.pieces += 1
                    case .toolCall(let call):
                        outcome.toolCalls.append(call)
                    case .done(let reason, let usage):
                        outcome.usage = usage
                        outcome.reason = reason
                        let ended = outcome
                        // Not in this task: the client may leave now, and the end must be recorded.
                        await Task { await atEnd(ended) }.value
                    }
                    continuation.yield(event)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
            if outcome.usage == nil {
                let ended = outcome
                await Task { await atEnd(ended) }.value
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
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
