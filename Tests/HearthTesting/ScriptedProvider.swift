import Foundation
import HearthCore
import Synchronization

/// A fake provider for unit tests of the code around providers (handlers, pipeline):
/// it serves one model name and answers with scripted pieces or a scripted error.
public final class ScriptedProvider: InferenceProvider {
    public let name = "scripted"
    public let model: String
    public let pieces: [String]
    public let failure: HearthError?
    /// Whole answers, one a generation in turn (the last one again once they run out).
    public let turns: [[TokenEvent]]
    private let received = Mutex<[GenerationRequest]>([])

    public init(model: String = "scripted:test", pieces: [String] = ["Hello", ", ", "world"], failure: HearthError? = nil) {
        self.model = model
        self.pieces = pieces
        self.failure = failure
        turns = []
    }

    /// A provider answering with `turns` in order: tool calls, then words, as a model would.
    public init(model: String = "scripted:test", turns: [[TokenEvent]]) {
        self.model = model
        pieces = []
        failure = nil
        self.turns = turns
    }

    /// Every generation request received, in order.
    public var requests: [GenerationRequest] { received.withLock { $0 } }

    public func models() async throws -> [ModelInfo] {
        [ModelInfo(id: model, provider: name, created: 1_700_000_000)]
    }

    public func loadedModels() async -> [LoadedModel] {
        var activity = ModelActivity()
        activity.parallel = 1
        activity.contextPerSequence = 100
        return [LoadedModel(name: model, provider: name, activity: activity)]
    }

    public func serves(_ model: String) async -> Bool { model == self.model }

    public func generate(_ request: GenerationRequest) async throws -> AsyncThrowingStream<TokenEvent, any Error> {
        let turn = received.withLock {
            $0.append(request)
            return $0.count - 1
        }
        let (stream, continuation) = AsyncThrowingStream<TokenEvent, any Error>.makeStream()
        if !turns.isEmpty {
            for event in turns[min(turn, turns.count - 1)] { continuation.yield(event) }
            continuation.finish()
            return stream
        }
        if let failure {
            continuation.finish(throwing: failure)
            return stream
        }
        let limit = request.params.maxTokens ?? pieces.count
        for piece in pieces.prefix(limit) { continuation.yield(.text(piece)) }
        continuation.yield(
            .done(limit < pieces.count ? .length : .stop, Usage(promptTokens: 7, completionTokens: min(limit, pieces.count))))
        continuation.finish()
        return stream
    }

    public func preload(_ model: String, keepAlive: TimeInterval?) async throws {
        if let failure { throw failure }
    }

    public func unload(_ model: String) async -> Bool { model == self.model }

    public func embed(_ request: EmbeddingRequest) async throws -> EmbeddingResult {
        if let failure { throw failure }
        return EmbeddingResult(vectors: request.inputs.map { [Float($0.count), 0, 1] }, promptTokens: request.inputs.count)
    }
}
