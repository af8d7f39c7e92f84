import Crypto
import Foundation
import HearthCore

/// The answer caches in front of generation, per caller (the same user, else the same key):
/// - exact: the same deterministic request (temperature 0 or a seed) gets the answer kept
///   for it, replayed as it came;
/// - semantic (opt-in per model or per request): a single-turn question without tools gets
///   the answer to an earlier question of the same model, system prompt and parameters when
///   their embeddings are close (`threshold`) and their content agrees (`QuestionContent`:
///   numbers, negations, content words, relations).
/// A replay is recorded as the provider `cache`; `Cache-Control: no-cache` skips both.
struct AnswerCaching: Sendable {
    let exact: (any AnswerCache)?
    let semantic: (any SemanticAnswerCache)?
    /// Models whose questions go through the semantic cache without asking (`*`: all).
    let semanticModels: Set<String>
    /// Embeds questions for the semantic cache.
    let embed: @Sendable (String) async throws -> [Float]

    /// How long a kept answer is replayed.
    static let lifetime: TimeInterval = 3_600
    /// The cosine two questions' embeddings need at least (all-MiniLM-L6-v2), chosen on the
    /// paraphrase and near-miss pairs of Tests/HearthIntegrationTests/Data/semantic-pairs.tsv.
    static let threshold: Float = 0.9

    init(
        exact: (any AnswerCache)? = nil, semantic: (any SemanticAnswerCache)? = nil, semanticModels: Set<String> = [],
        embed: @escaping @Sendable (String) async throws -> [Float] = { _ in [] }
    ) {
        self.exact = exact
        self.semantic = semantic
        self.semanticModels = semanticModels
        self.embed = embed
    }

    /// The kept answer for `request` when there is one, replayed; otherwise `generate`'s,
    /// kept once it ends normally.
    func answer(
        _ request: GenerationRequest, by principal: Principal, generate: () async throws -> AsyncThrowingStream<TokenEvent, any Error>
    ) async throws -> AsyncThrowingStream<TokenEvent, any Error> {
        let choice = RoutingChoice.current
        guard choice?.wantsFreshAnswer != true else { return try await generate() }
        let caller = Self.caller(principal)
        let exactKey = exact != nil ? Self.exactKey(request, caller: caller) : nil
        if let exact, let exactKey {
            let answer = await exact.answer(for: exactKey, at: Date())
            choice?.recordCacheLookup("exact", hit: answer != nil)
            if let answer { return Self.replay(answer) }
        }
        var similar: (scope: String, question: String, vector: [Float])?
        if let semantic, semanticModels.contains("*") || semanticModels.contains(request.model) || choice?.wantsSimilarAnswer == true,
            let (scope, question) = Self.semanticScope(request, caller: caller), let vector = try? await embed(question)
        {
            let content = QuestionContent(question)
            let found = semantic.nearest(in: scope, to: vector, atLeast: Self.threshold, at: Date()) {
                QuestionContent($0).mayShareAnswer(with: content)
            }
            choice?.recordCacheLookup("semantic", hit: found != nil)
            if let found { return Self.replay(found.answer) }
            similar = (scope, question, vector)
        }
        let events = try await generate()
        guard exactKey != nil || similar != nil else { return events }
        let (stream, continuation) = AsyncThrowingStream<TokenEvent, any Error>.makeStream()
        let task = Task { [exact, semantic] in
            var seen: [TokenEvent] = []
            do {
                for try await event in events {
                    seen.append(event)
                    if case .done = event {
                        let answer = CachedAnswer(events: seen)
                        let expiry = Date() + Self.lifetime
                        if let exactKey { await exact?.keep(answer, for: exactKey, until: expiry) }
                        if let similar {
                            semantic?.keep(answer, question: similar.question, vector: similar.vector, in: similar.scope, until: expiry)
                        }
                    }
                    continuation.yield(event)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    static func replay(_ answer: CachedAnswer) -> AsyncThrowingStream<TokenEvent, any Error> {
        RoutingChoice.current?.record("cache")
        return AsyncThrowingStream { continuation in
            for event in answer.events { continuation.yield(event) }
            continuation.finish()
        }
    }

    /// Whose answers these are: the user's, else the key's, else the role's.
    static func caller(_ principal: Principal) -> String {
        principal.user.map { "user \($0.id)" } ?? principal.key.map { "key \($0.id)" } ?? "role \(principal.role)"
    }

    /// What identifies a request's answer for `caller`: everything that shapes the answer;
    /// nil when the answer is not deterministic.
    static func exactKey(_ request: GenerationRequest, caller: String) -> String? {
        guard request.params.temperature == 0 || request.params.seed != nil else { return nil }
        return digest(caller + "\n" + String(reflecting: shape(of: request)))
    }

    /// A single-turn question's scope (the caller and everything but the question) and the
    /// question; nil for other requests (several turns, tools, a text prompt).
    static func semanticScope(_ request: GenerationRequest, caller: String) -> (scope: String, question: String)? {
        guard request.tools == nil, case .chat(let messages) = request.prompt, let last = messages.last, last.role == .user,
            messages.dropLast().allSatisfy({ $0.role == .system }), !last.content.isEmpty, last.content.utf8.count <= 2_000
        else { return nil }
        var shape = shape(of: request)
        shape.prompt = .chat(Array(messages.dropLast()))
        return (digest("semantic " + caller + "\n" + String(reflecting: shape)), last.content)
    }

    /// `request` without what does not shape its answer (how long the model stays loaded,
    /// where else it may run).
    static func shape(of request: GenerationRequest) -> GenerationRequest {
        var shape = request
        shape.keepAlive = nil
        shape.fallbacks = nil
        return shape
    }

    static func digest(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
