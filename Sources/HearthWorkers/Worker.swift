import Foundation
import HearthCore
import HearthNATS
import Logging
import Synchronization

/// Serves a provider's models (the in-process engine's) to gateways over NATS, without HTTP
/// (`hearth worker`). It takes requests for each model in the queue group
/// `hearth-workers` on `hearth.work.MODEL` and, sent to it alone, on `hearth.worker.ID`;
/// answers a generation on the request's inbox with `accepted`, the tokens as they come and
/// `alive` every second, so that a gateway notices a worker that died; and announces its
/// models, how busy each is and the prefixes its sequences hold every second.
public final class Worker: Sendable {
    /// A model served and how many sequences it generates at once.
    public struct Model: Sendable, Equatable {
        public var name: String
        public var slots: Int

        public init(name: String, slots: Int) {
            self.name = name
            self.slots = slots
        }
    }

    public let id: String
    let nats: NATSClient
    let provider: any InferenceProvider
    let models: [Model]
    let logger: Logger
    let aliveEvery: Duration
    private let state = Mutex(State())

    private struct State {
        /// Generations running, by the inbox they answer on.
        var running: [String: (model: String, task: Task<Void, Never>)] = [:]
        /// Requests being answered, by model (generations, counts, embeddings).
        var busy: [String: Int] = [:]
        /// Per model, the prefix keys of its last few requests (as many as it has sequences).
        var recent: [String: [[UInt64]]] = [:]
        var accepting = true
        /// The subscriptions that bring requests, ended when the worker stops taking them.
        var intake: [Int] = []
    }

    /// The most prefix keys announced per model.
    static let announcedPrefixes = 1_024

    public init(
        id: String, nats: NATSClient, provider: any InferenceProvider, models: [Model], logger: Logger,
        aliveEvery: Duration = .seconds(1)
    ) {
        self.id = id
        self.nats = nats
        self.provider = provider
        self.models = models
        self.logger = logger
        self.aliveEvery = aliveEvery
    }

    /// Takes requests and announces itself until cancelled. What is running then goes on:
    /// `stop(grace:)` waits for it.
    public func run() async {
        var streams: [AsyncStream<NATSMessage>] = []
        do {
            let direct = try nats.subscribe(to: WorkerSubjects.worker(id))
            let shared = try models.map { try nats.subscribe(to: WorkerSubjects.model($0.name), queue: WorkerSubjects.queue) }
            state.withLock { $0.intake = [direct.sid] + shared.map(\.sid) }
            streams = [direct.messages] + shared.map(\.messages)
        } catch {
            logger.error("the worker cannot subscribe", metadata: ["error": "\(error)"])
            return
        }
        let cancels = (try? nats.subscribe(to: WorkerSubjects.cancel(id)).messages) ?? AsyncStream { $0.finish() }
        let discovers = (try? nats.subscribe(to: WorkerSubjects.discover).messages) ?? AsyncStream { $0.finish() }
        try? await nats.flush()
        announce()
        await withTaskGroup(of: Void.self) { group in
            for messages in streams {
                group.addTask { for await message in messages { self.take(message) } }
            }
            group.addTask {
                for await message in cancels {
                    let inbox = String(decoding: message.payload, as: UTF8.self)
                    self.state.withLock { $0.running[inbox]?.task }?.cancel()
                }
            }
            group.addTask { for await _ in discovers { self.announce() } }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    self.announce()
                }
            }
        }
    }

    /// Takes no more requests (gateways are told at once), then waits up to `grace` for the
    /// running generations to end, and cancels those left.
    public func stop(grace: Duration) async {
        let intake = state.withLock { state in
            state.accepting = false
            defer { state.intake = [] }
            return state.intake
        }
        for sid in intake { nats.unsubscribe(sid) }
        announce(leaving: true)
        let deadline = ContinuousClock.now + grace
        while state.withLock({ !$0.running.isEmpty }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for task in state.withLock({ $0.running.values.map(\.task) }) { task.cancel() }
        try? await nats.flush()
    }

    /// What it says of itself now.
    func announcement(leaving: Bool = false) -> Announcement {
        state.withLock { state in
            Announcement(
                worker: id,
                models: models.map { model in
                    var seen = Set<UInt64>()
                    let keys = (state.recent[model.name] ?? []).reversed().joined().filter { seen.insert($0).inserted }
                    return Announcement.Model(
                        name: model.name, slots: model.slots, busy: state.busy[model.name] ?? 0,
                        prefixes: Array(keys.prefix(Self.announcedPrefixes)))
                }, leaving: leaving)
        }
    }

    private func announce(leaving: Bool = false) {
        guard let body = try? JSONEncoder().encode(announcement(leaving: leaving)) else { return }
        try? nats.publish(Array(body), to: WorkerSubjects.announce)
    }

    /// Answers one request, in a task of its own.
    private func take(_ message: NATSMessage) {
        guard let inbox = message.replyTo else { return }
        let request: WorkRequest
        do {
            request = try JSONDecoder().decode(WorkRequest.self, from: Data(message.payload))
        } catch {
            return send(.failed(WireError(HearthError.invalidRequest("the worker cannot read the request: \(error)"))), to: inbox)
        }
        let model = request.model
        guard models.contains(where: { $0.name == model }) else {
            return send(.failed(WireError(HearthError.modelNotFound(model))), to: inbox)
        }
        let accepted = state.withLock { state in
            guard state.accepting else { return false }
            state.busy[model, default: 0] += 1
            return true
        }
        guard accepted else {
            return send(.failed(WireError(HearthError(.unavailable, "the worker \(id) is stopping"))), to: inbox)
        }
        // Registered before it starts, so that a cancel arriving at once finds it.
        state.withLock { state in
            let task = Task {
                await self.answer(request, on: inbox)
                self.state.withLock { state in
                    state.busy[model, default: 1] -= 1
                    state.running.removeValue(forKey: inbox)
                }
            }
            state.running[inbox] = (model, task)
        }
    }

    private func answer(_ request: WorkRequest, on inbox: String) async {
        switch request.op {
        case .generate:
            guard let generation = request.generation else { return }
            await generate(generation, on: inbox)
        case .tokens:
            guard let generation = request.generation else { return }
            do {
                send(.tokens(try await provider.promptTokens(generation)), to: inbox)
            } catch {
                failed(error, on: inbox)
            }
        case .embed:
            guard let embedding = request.embedding else { return }
            var native = EmbeddingRequest(model: embedding.model, inputs: embedding.inputs)
            native.keepAlive = -1
            do {
                let result = try await provider.embed(native)
                send(.embedded(vectors: result.vectors, promptTokens: result.promptTokens), to: inbox)
            } catch {
                failed(error, on: inbox)
            }
        }
    }

    private func generate(_ request: GenerationRequest, on inbox: String) async {
        send(.accepted(worker: id), to: inbox)
        let alive = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: aliveEvery)
                if !Task.isCancelled { send(.alive, to: inbox) }
            }
        }
        defer { alive.cancel() }
        var native = request
        // The worker's models stay loaded: a gateway's keep-alive is not the worker's.
        native.keepAlive = -1
        var answer = ""
        var calls: [ToolCall] = []
        do {
            for try await event in try await provider.generate(native) {
                switch event {
                case .text(let piece): answer += piece
                case .toolCall(let call): calls.append(call)
                case .done: break
                }
                send(.token(event), to: inbox)
            }
        } catch {
            failed(error, on: inbox)
        }
        let keys = PrefixKeys.after(request, answer: answer, calls: calls)
        let slots = models.first { $0.name == request.model }?.slots ?? 1
        state.withLock { state in
            var recent = state.recent[request.model] ?? []
            recent.append(keys)
            state.recent[request.model] = Array(recent.suffix(slots))
        }
    }

    private func failed(_ error: any Error, on inbox: String) {
        if error is CancellationError { return }
        let wire = WireError(error)
        if !(error is HearthError) || (error as? HearthError)?.code == .internalError {
            logger.error("a worker request failed", metadata: ["error": "\(String(reflecting: error))"])
        }
        send(.failed(wire), to: inbox)
    }

    private func send(_ event: WorkEvent, to inbox: String) {
        // NATS away: the gateway hears nothing and gives up on this worker.
        try? nats.publish(event.wire, to: inbox)
    }
}
