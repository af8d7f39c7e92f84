import Foundation
import HearthCore
import HearthModels
import HearthNATS
import Logging
import Synchronization

/// The models of the workers on NATS (`hearth worker`), as one provider: what a gateway
/// (`hearth serve --workers`) has in place of an engine. A generation goes to the worker
/// that holds the longest prefix of its prompt among those with a free sequence
/// (`WorkerRegistry.choose`) and its tokens come back on an inbox of its own. A worker that
/// refuses it (busy, stopping) or goes quiet for `silence` (killed, cut off) before the
/// first token passes it to another; after tokens were sent, the stream ends with an error
/// that says the answer is incomplete.
public final class WorkerProvider: InferenceProvider, Sendable {
    public let name = "workers"
    let nats: NATSClient
    public let registry: WorkerRegistry
    let silence: Duration
    let logger: Logger
    private let listening: Task<Void, Never>
    private let lastDiscovery = Mutex<ContinuousClock.Instant?>(nil)

    /// Workers asked per generation, at most, before giving up.
    static let attempts = 4

    public init(nats: NATSClient, registry: WorkerRegistry = WorkerRegistry(), silence: Duration = .seconds(3), logger: Logger) {
        self.nats = nats
        self.registry = registry
        self.silence = silence
        self.logger = logger
        // A fixed, valid subject: subscribing cannot fail.
        let announcements = (try? nats.subscribe(to: WorkerSubjects.announce).messages) ?? AsyncStream { $0.finish() }
        listening = Task {
            for await message in announcements {
                guard let announcement = try? JSONDecoder().decode(Announcement.self, from: Data(message.payload)) else { continue }
                registry.heard(announcement)
            }
        }
        discover()
    }

    /// Asks every worker to announce itself now; at most once a second, however many
    /// requests name a model no worker serves.
    private func discover() {
        let now = ContinuousClock.now
        let due = lastDiscovery.withLock { last in
            guard last.map({ now - $0 >= .seconds(1) }) ?? true else { return false }
            last = now
            return true
        }
        if due { try? nats.publish([], to: WorkerSubjects.discover) }
    }

    deinit { listening.cancel() }

    public func models() async throws -> [ModelInfo] {
        registry.models().map { ModelInfo(id: $0, provider: name, created: 0) }
    }

    public func loadedModels() async -> [LoadedModel] {
        registry.workers().flatMap { worker in
            worker.models.map { model in
                var activity = ModelActivity()
                activity.parallel = model.slots
                activity.activeSequences = min(model.busy, model.slots)
                activity.queuedRequests = max(0, model.busy - model.slots)
                return LoadedModel(name: model.name, provider: "worker:" + worker.worker, activity: activity)
            }
        }
    }

    /// Whether a worker serves `model`; one not heard of yet is asked for (workers that
    /// started a moment ago announce themselves at once, the others every second), waiting
    /// up to two seconds.
    public func serves(_ model: String) async -> Bool {
        guard !ModelStore.isPath(model) else { return false }
        let model = ModelStore.canonicalName(model)
        if !registry.candidates(for: model).isEmpty { return true }
        discover()
        let deadline = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
            if !registry.candidates(for: model).isEmpty { return true }
        }
        return false
    }

    public func generate(_ request: GenerationRequest) async throws -> AsyncThrowingStream<TokenEvent, any Error> {
        var request = request
        request.model = ModelStore.canonicalName(request.model)
        let choice = RoutingChoice.current
        let (stream, continuation) = AsyncThrowingStream<TokenEvent, any Error>.makeStream()
        let task = Task {
            do {
                try await relay(request, choice: choice, into: continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    public func promptTokens(_ request: GenerationRequest) async throws -> Int {
        var request = request
        request.model = ModelStore.canonicalName(request.model)
        guard case .tokens(let count) = try await ask(.tokens(request), timeout: .seconds(60)) else {
            throw HearthError(.internalError, "the worker answered a count with something else")
        }
        return count
    }

    public func embed(_ request: EmbeddingRequest) async throws -> EmbeddingResult {
        var request = request
        request.model = ModelStore.canonicalName(request.model)
        guard case .embedded(let vectors, let tokens) = try await ask(.embed(request), timeout: .seconds(300)) else {
            throw HearthError(.internalError, "the worker answered embeddings with something else")
        }
        return EmbeddingResult(vectors: vectors, promptTokens: tokens)
    }

    /// Workers keep their models loaded: nothing to load, only to find.
    public func preload(_ model: String, keepAlive: TimeInterval?) async throws {
        guard await serves(model) else { throw HearthError.modelNotFound(model) }
    }

    /// A gateway does not unload a worker's model.
    public func unload(_ model: String) async -> Bool { false }

    // MARK: - Asking workers

    /// Asks the least busy worker of the model (or any, by the queue group) and waits for
    /// one answer.
    private func ask(_ work: WorkRequest, timeout: Duration) async throws -> WorkEvent {
        var random = SystemRandomNumberGenerator()
        let subject =
            WorkerRegistry.choose(among: registry.candidates(for: work.model), for: [], using: &random)
            .map { WorkerSubjects.worker($0.worker) } ?? WorkerSubjects.model(work.model)
        let answer: NATSMessage
        do {
            answer = try await nats.request(Array(try JSONEncoder().encode(work)), to: subject, timeout: timeout)
        } catch let error as HearthError where error.code == .unavailable {
            throw HearthError(.unavailable, "no worker answers for '\(work.model)' now", detail: error.message)
        }
        let event = try WorkEvent(wire: answer.payload)
        if case .failed(let failure) = event { throw failure.error }
        return event
    }

    /// How one worker's attempt ended.
    private enum Outcome {
        case finished
        /// Before any token: another worker may do (the one asked is excluded).
        case passOn(worker: String?, HearthError)
    }

    /// Sends `request` to workers in turn until one answers it to the end.
    private func relay(
        _ request: GenerationRequest, choice: RoutingChoice?, into continuation: AsyncThrowingStream<TokenEvent, any Error>.Continuation
    ) async throws {
        let prefixes = PrefixKeys.of(request)
        let body = Array(try JSONEncoder().encode(WorkRequest.generate(request)))
        var excluded = Set<String>()
        var failure: HearthError?
        var random = SystemRandomNumberGenerator()
        for _ in 0..<Self.attempts {
            let candidates = registry.candidates(for: request.model)
            let worker = WorkerRegistry.choose(among: candidates, for: prefixes, excluding: excluded, using: &random)?.worker
            // No worker heard of yet: any that takes the model's requests.
            guard worker != nil || (candidates.isEmpty && excluded.isEmpty) else { break }
            let subject = worker.map { WorkerSubjects.worker($0) } ?? WorkerSubjects.model(request.model)
            switch try await attempt(request, body: body, on: subject, worker: worker, choice: choice, into: continuation) {
            case .finished:
                return
            case .passOn(let gone, let error):
                logger.info("a worker passed a request on", metadata: ["hearth.worker": "\(gone ?? "?")", "error": "\(error)"])
                choice?.recordFailure("worker:" + (gone ?? "?"), error)
                if let gone { excluded.insert(gone) }
                failure = error
            }
        }
        throw failure ?? HearthError(.unavailable, "no worker serves '\(request.model)' now")
    }

    /// One worker's attempt: `worker` (nil: whichever of the queue group takes it).
    private func attempt(
        _ request: GenerationRequest, body: [UInt8], on subject: String, worker chosen: String?, choice: RoutingChoice?,
        into continuation: AsyncThrowingStream<TokenEvent, any Error>.Continuation
    ) async throws -> Outcome {
        let inbox = "_INBOX.hearth." + randomID()
        let (sid, messages) = try nats.subscribe(to: inbox)
        var worker = chosen
        if let worker { registry.started(worker, model: request.model) }
        defer {
            nats.unsubscribe(sid)
            if let worker { registry.ended(worker, model: request.model) }
        }
        let incoming = Self.watched(messages, silence: silence)
        try nats.publish(body, to: subject, replyTo: inbox)
        var sent = 0
        var answer = ""
        var calls: [ToolCall] = []
        for await item in incoming {
            guard case .message(let message) = item else {
                // Quiet too long: the worker is gone (killed, or cut off from NATS).
                if let worker { registry.forget(worker) }
                let who = worker.map { "the worker \($0)" } ?? "the worker"
                let error = HearthError(.unavailable, "\(who) stopped answering")
                if sent == 0 { return .passOn(worker: worker, error) }
                logger.warning("a worker stopped answering mid-answer", metadata: ["hearth.worker": "\(worker ?? "?")"])
                throw HearthError(.unavailable, "\(who) stopped answering after \(sent) tokens: the answer is incomplete")
            }
            if message.status == 503 {
                // No one subscribes: the worker left (or none takes the model's requests).
                if let worker { registry.forget(worker) }
                return .passOn(worker: worker, HearthError(.unavailable, "no worker takes requests for '\(request.model)' now"))
            }
            guard let event = try? WorkEvent(wire: message.payload) else { continue }
            switch event {
            case .accepted(let id):
                if worker == nil {
                    worker = id
                    registry.started(id, model: request.model)
                }
                choice?.record("worker:" + id, model: request.model)
            case .token(let token):
                continuation.yield(token)
                switch token {
                case .text(let piece): answer += piece
                case .toolCall(let call): calls.append(call)
                case .done:
                    // The worker holds this conversation now: its next turn goes there.
                    if let worker {
                        registry.relayed(worker, model: request.model, keys: PrefixKeys.after(request, answer: answer, calls: calls))
                    }
                    return .finished
                }
                sent += 1
            case .failed(let failure):
                let error = failure.error
                if sent == 0, [.queueFull, .unavailable, .modelNotFound, .modelLoadFailed].contains(error.code) {
                    return .passOn(worker: worker, error)
                }
                throw error
            case .alive, .tokens, .embedded:
                continue
            }
        }
        // The client left: the worker stops generating.
        if let worker { try? nats.publish(Array(inbox.utf8), to: WorkerSubjects.cancel(worker)) }
        throw CancellationError()
    }

    private enum Incoming {
        case message(NATSMessage)
        /// Nothing came for `silence`.
        case silent
    }

    /// `messages`, and `.silent` once nothing has come for `silence`.
    private static func watched(_ messages: AsyncStream<NATSMessage>, silence: Duration) -> AsyncStream<Incoming> {
        let (stream, continuation) = AsyncStream<Incoming>.makeStream()
        let heard = LastHeard()
        let forward = Task {
            for await message in messages {
                heard.at.withLock { $0 = .now }
                continuation.yield(.message(message))
            }
            continuation.finish()
        }
        let watchdog = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: silence / 8)
                if ContinuousClock.now - heard.at.withLock({ $0 }) > silence {
                    continuation.yield(.silent)
                    return
                }
            }
        }
        continuation.onTermination = { _ in
            forward.cancel()
            watchdog.cancel()
        }
        return stream
    }
}

/// When the last message came, shared by the task that forwards and the one that watches.
private final class LastHeard: Sendable {
    let at = Mutex(ContinuousClock.now)
}
