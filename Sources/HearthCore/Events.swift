import Foundation
import Synchronization

/// Something that happened on the server, as `/hearth/events` and the web UI's dashboard see
/// it. Never carries prompt or answer text.
public struct HearthEvent: Sendable {
    public enum Body: Sendable {
        /// A request was answered (or failed, or its client left).
        case request(RequestSummary)
        /// What the loaded models are doing now (published every second while anyone listens).
        case stats([LoadedModel])
        /// A model was loaded, failed to load, or was unloaded.
        case model(ModelChange)
        /// An ingestion into a collection moved on (a file of a job, an uploaded file).
        case ingestion(IngestionProgress)
    }

    public var time: Date
    public var body: Body
    /// The user the event is about: only they and administrators receive it. Nil: nobody's
    /// (model activity, for everyone signed in; a request without a user, for administrators).
    public var ownerID: Int64?
    /// The replica it happened on, when another one (heard through NATS); nil: this one.
    public var origin: String?

    public init(_ body: Body, ownerID: Int64? = nil, time: Date = Date(), origin: String? = nil) {
        self.body = body
        self.ownerID = ownerID
        self.time = time
        self.origin = origin
    }

    /// `request`, `stats`, `model` or `ingestion`: what a subscriber picks events by.
    public var topic: String {
        switch body {
        case .request: "request"
        case .stats: "stats"
        case .model: "model"
        case .ingestion: "ingestion"
        }
    }

    /// The topics there are.
    public static let topics: Set<String> = ["request", "stats", "model", "ingestion"]
}

/// A model loaded (with how long it took), one that failed to load, or one unloaded.
public struct ModelChange: Sendable, Equatable {
    public enum Action: String, Sendable {
        case loaded, failed, unloaded
    }

    public var name: String
    public var action: Action
    /// What the model takes in memory (estimated before loading).
    public var memoryBytes: Int64
    /// Seconds the load took (`loaded`, `failed`).
    public var seconds: Double?
    /// Why it failed to load.
    public var error: String?

    public init(name: String, action: Action, memoryBytes: Int64, seconds: Double? = nil, error: String? = nil) {
        self.name = name
        self.action = action
        self.memoryBytes = memoryBytes
        self.seconds = seconds
        self.error = error
    }
}

/// Where an ingestion stands: a job over paths (`job`) after each file, or an uploaded file
/// (`fileID`) as it starts and ends.
public struct IngestionProgress: Sendable, Equatable {
    public enum Status: String, Sendable {
        case inProgress = "in_progress", completed, failed
    }

    public var collection: String
    public var job: Int64?
    public var fileID: String?
    public var filename: String?
    public var status: Status
    public var filesDone: Int
    public var filesTotal: Int
    /// Chunks stored so far.
    public var chunks: Int
    public var error: String?

    public init(
        collection: String, job: Int64? = nil, fileID: String? = nil, filename: String? = nil, status: Status, filesDone: Int,
        filesTotal: Int, chunks: Int, error: String? = nil
    ) {
        self.collection = collection
        self.job = job
        self.fileID = fileID
        self.filename = filename
        self.status = status
        self.filesDone = filesDone
        self.filesTotal = filesTotal
        self.chunks = chunks
        self.error = error
    }
}

/// One answered request, without its content.
public struct RequestSummary: Sendable, Equatable {
    public var id: String
    public var method: String
    public var route: String
    public var status: Int
    public var milliseconds: Double
    public var model: String?
    public var promptTokens: Int
    public var completionTokens: Int
    /// Who asked (`Principal.name`).
    public var user: String
    /// The provider that served a generation.
    public var provider: String?
    /// Milliseconds from the start of a generation to its first text.
    public var firstTokenMilliseconds: Double?

    public init(
        id: String, method: String, route: String, status: Int, milliseconds: Double, model: String?, promptTokens: Int,
        completionTokens: Int, user: String, provider: String?, firstTokenMilliseconds: Double? = nil
    ) {
        self.firstTokenMilliseconds = firstTokenMilliseconds
        self.id = id
        self.method = method
        self.route = route
        self.status = status
        self.milliseconds = milliseconds
        self.model = model
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.user = user
        self.provider = provider
    }
}

/// Where events go and who hears them: in-process by default (`MemoryEventBus`); NATS when
/// the server runs on several machines.
public protocol EventBus: Sendable {
    /// Hands `event` to every subscriber; never waits.
    func publish(_ event: HearthEvent)
    /// Every event published from now on, until the stream is dropped.
    func subscribe() -> AsyncStream<HearthEvent>
    /// Whether anyone listens (publishers of costly events check it first).
    var hasSubscribers: Bool { get }
    /// Ends every subscription (the server is shutting down).
    func close()
}

/// The in-process event bus. A subscriber that falls behind keeps only the newest 1,000
/// events: a slow page never holds the server's memory.
public final class MemoryEventBus: EventBus {
    private let subscribers = Mutex<[UUID: AsyncStream<HearthEvent>.Continuation]>([:])

    public init() {}

    public func publish(_ event: HearthEvent) {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.yield(event) }
    }

    public func subscribe() -> AsyncStream<HearthEvent> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<HearthEvent>.makeStream(bufferingPolicy: .bufferingNewest(1_000))
        continuation.onTermination = { [weak self] _ in _ = self?.subscribers.withLock { $0.removeValue(forKey: id) } }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }

    public var hasSubscribers: Bool { !subscribers.withLock { $0.isEmpty } }

    public func close() {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.finish() }
    }
}
