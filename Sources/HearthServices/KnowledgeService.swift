import Foundation
import HearthCore
import HearthKnowledge
import HearthModels
import HearthProviders
import Synchronization

/// The knowledge base as routes and the CLI use it: collections, ingestion jobs, search and
/// answers with citations. Every collection and uploaded file has an owner: `Principal`'s
/// ownership rules decide who reaches it, and another's answers 404.
public struct KnowledgeService: Sendable {
    /// The store with its ingestor, retriever and answerer.
    public let base: KnowledgeBase
    let pipeline: ChatPipeline
    /// Users' names for shares, and the audit log.
    let identity: IdentityService
    /// The caller's token limits, for answers.
    let limits: LimitService
    /// Folders ingestion may read from.
    let ingestRoots: FileRoots
    /// Jobs running now, so that two resumes never run one job twice.
    private let running = RunningJobs()

    init(base: KnowledgeBase, pipeline: ChatPipeline, identity: IdentityService, limits: LimitService, ingestRoots: [String]) {
        self.base = base
        self.identity = identity
        self.limits = limits
        self.pipeline = pipeline
        self.ingestRoots = FileRoots(ingestRoots)
    }

    // MARK: - Collections

    /// Every collection `principal` may read, with its counts.
    public func collections(by principal: Principal) async throws -> [KnowledgeCollection] {
        try await base.store.collections().filter(principal.mayRead)
    }

    /// A collection, its documents and its last ingestion job.
    public struct CollectionDetail: Sendable {
        public var collection: KnowledgeCollection
        public var documents: [StoredDocument]
        public var lastJob: IngestionJob?
        /// Names of the users it is shared with (`*`: everyone), for its owner and administrators.
        public var sharedWith: [String]
    }

    /// - Throws: `HearthError.notFound` for an unknown collection, or one `principal` may not read.
    public func collection(_ name: String, by principal: Principal) async throws -> CollectionDetail {
        let collection = try await readable(name, by: principal)
        let shares = principal.mayChange(collection) ? try await identity.names(of: collection.sharedWith) : []
        return CollectionDetail(
            collection: collection, documents: try await base.store.documents(in: name),
            lastJob: try await base.store.jobs(in: name).first, sharedWith: shares)
    }

    /// A document of a collection `principal` may read, and its text as indexed: its chunks
    /// in order (overlapping where the chunker made them overlap).
    /// - Throws: `HearthError.notFound` for an unknown collection (or another's) or document.
    public func document(_ path: String, in name: String, by principal: Principal) async throws -> (StoredDocument, String) {
        let (document, chunks) = try await chunks(of: path, in: name, by: principal)
        return (document, chunks.joined(separator: "\n\n"))
    }

    /// A document of a collection `principal` may read, and its chunks in order.
    /// - Throws: `HearthError.notFound` for an unknown collection (or another's) or document.
    public func chunks(of path: String, in name: String, by principal: Principal) async throws -> (StoredDocument, [String]) {
        _ = try await readable(name, by: principal)
        guard let document = try await base.store.document(in: name, path: path) else {
            throw HearthError(.notFound, "no document '\(path.prefix(200))' in '\(name)'", field: "path")
        }
        return (document, try await base.store.chunkTexts(ofDocument: document.id))
    }

    /// Creates the collection for `principal`, or returns it when it exists and is theirs.
    /// - Throws: `HearthError.invalidRequest` for an invalid name, or one taken by another's collection.
    public func createCollection(_ name: String, embeddingModel: String? = nil, by principal: Principal) async throws
        -> KnowledgeCollection
    {
        guard principal.keyAllows(name) else { throw Self.keyLimited }
        let taken = HearthError.invalidRequest("the name '\(name.prefix(80))' is taken; choose another", field: "name")
        if let existing = try await base.store.collection(name, counted: false), !principal.mayChange(existing) { throw taken }
        let collection = try await base.ingestor.collection(
            name, embeddingModel: ModelStore.canonicalName(embeddingModel ?? base.embeddingModel), ownerID: principal.ownerID)
        // Another may have made it in between.
        guard principal.mayChange(collection) else { throw taken }
        return collection
    }

    /// - Throws: `HearthError.notFound` for an unknown collection (or another's);
    ///   `.forbidden` for one shared with `principal` to read only.
    public func deleteCollection(_ name: String, by principal: Principal) async throws {
        _ = try await changeable(name, by: principal)
        guard try await base.store.deleteCollection(name) else { throw KnowledgeCollection.notFound(name) }
        try await identity.record(principal.name, "collection.delete", target: name)
    }

    /// Sets who besides its owner may read the collection: user names, `*` for everyone.
    /// - Throws: `HearthError.forbidden` unless `principal` is an administrator; `.notFound`
    ///   for an unknown collection or user.
    public func share(_ name: String, with users: [String], by principal: Principal) async throws -> CollectionDetail {
        try IdentityService.requireAdmin(principal)
        _ = try await changeable(name, by: principal)
        try await base.store.shareCollection(name, with: try await identity.ids(of: users))
        try await identity.record(principal.name, "collection.share", target: "\(name) → \(users.joined(separator: ","))")
        return try await collection(name, by: principal)
    }

    /// Refused: a key limited to some collections makes no other.
    static let keyLimited = HearthError(.forbidden, "this key may use only the collections it names; it makes no new ones")

    /// The collection when `principal` may read it.
    /// - Throws: `HearthError.notFound` otherwise (another's collection is not said to exist).
    func readable(_ name: String, by principal: Principal) async throws -> KnowledgeCollection {
        guard let collection = try await base.store.collection(name), principal.mayRead(collection) else {
            throw KnowledgeCollection.notFound(name)
        }
        return collection
    }

    /// The collection when `principal` may change it.
    /// - Throws: `HearthError.notFound` when `principal` may not read it; `.forbidden` when
    ///   it is shared with `principal` to read only.
    func changeable(_ name: String, by principal: Principal) async throws -> KnowledgeCollection {
        let collection = try await readable(name, by: principal)
        guard principal.mayChange(collection) else {
            throw HearthError(.forbidden, "collection '\(name.prefix(80))' is shared with you to read; only its owner changes it")
        }
        return collection
    }

    // MARK: - Search and answers

    /// Hybrid search (keywords and meaning, fused) of collections `principal` may read.
    /// - Throws: `HearthError.notFound` for an unknown collection (or another's), the embedder's errors.
    public func search(_ query: RetrievalQuery, by principal: Principal) async throws -> [SearchHit] {
        for name in query.collections { _ = try await readable(name, by: principal) }
        return try await base.retriever.search(query)
    }

    /// An answer being written: the sources it cites, and its token stream.
    public struct Answer: Sendable {
        public var model: String
        public var sources: [SearchHit]
        public var events: AsyncThrowingStream<TokenEvent, any Error>
    }

    /// Answers `query.text` from its collections with `model` (default: the server's), citing
    /// [n]; `history` holds earlier turns (or a system prompt); `keepAlive` as on any
    /// generation. Nothing similar enough found:
    /// says so without asking the model.
    /// - Throws: retrieval errors and invalid parameters; generation errors arrive in the stream.
    public func ask(
        _ query: RetrievalQuery, model: String? = nil, params: GenerationParams = GenerationParams(), history: [ChatMessage] = [],
        keepAlive: Double? = nil, by principal: Principal
    ) async throws -> Answer {
        let model = try ChatService.allowed(model ?? pipeline.defaultModel, for: principal)
        var params = params
        if params.maxTokens == nil { params.maxTokens = Answerer.defaultMaxTokens }
        try params.validate()
        for name in query.collections { _ = try await readable(name, by: principal) }
        let sources = try await base.answerer.sources(for: query)
        let events = base.answerer.answer(
            query, from: sources, model: model, params: params, history: history,
            generate: { [pipeline, limits] request in
                var request = request
                request.keepAlive = keepAlive
                return try await ChatService.metered(request, pipeline: pipeline, limits: limits, by: principal)
            })
        return Answer(model: model, sources: sources, events: events)
    }

    // MARK: - Ingestion

    /// What an ingestion reports as it goes.
    public enum IngestEvent: Sendable, Equatable {
        /// A job left unfinished earlier, not resumed by this request.
        case interrupted(IngestionJob)
        /// A job (new or resumed) started.
        case started(IngestionJob)
        /// The job after each file.
        case progress(IngestionJob)
        /// The job at its end.
        case finished(IngestionJob)
    }

    /// Ingests `job`'s paths (absolute) into its collection, created when new with
    /// `embeddingModel` (default: the server's), reporting as it goes; first it reports the
    /// jobs of the collection left interrupted earlier. A request that goes away (the stream
    /// is dropped) stops the job where it is; it is marked interrupted and resumes later.
    /// - Throws: (in the stream) `HearthError.invalidRequest` for an invalid collection name,
    ///   paths missing, hidden or outside the ingest roots; the embedder's errors.
    public func ingest(_ job: IngestionJob, embeddingModel: String? = nil, by principal: Principal) -> AsyncThrowingStream<
        IngestEvent, any Error
    > {
        stream { report in
            // Reading the server's folders is the operator's: users upload through /v1/files.
            try IdentityService.requireAdmin(principal)
            var job = job
            try KnowledgeCollection.validate(name: job.collection)
            guard !job.paths.isEmpty else { throw HearthError.invalidRequest("name at least one file or folder", field: "paths") }
            job.paths = try job.paths.map { try ingestRoots.checked($0, field: "paths") }
            for interrupted in try await base.ingestor.interruptedJobs(in: job.collection) { report(.interrupted(interrupted)) }
            _ = try await createCollection(job.collection, embeddingModel: embeddingModel, by: principal)
            try await run(job, report: report)
        }
    }

    /// Finishes the interrupted jobs of `collection` (or of all), reporting as `ingest` does.
    /// - Throws: (in the stream) as `ingest`; a job whose paths this server may not read.
    public func resume(in collection: String? = nil, by principal: Principal) -> AsyncThrowingStream<IngestEvent, any Error> {
        stream { report in
            try IdentityService.requireAdmin(principal)
            for var job in try await base.ingestor.interruptedJobs(in: collection) {
                job.paths = try job.paths.map { try ingestRoots.checked($0, field: "paths") }
                try await run(job, report: report)
            }
        }
    }

    /// The events `work` reports, ending with its error; dropping the stream cancels it.
    private func stream(
        _ work: @escaping @Sendable (_ report: @escaping @Sendable (IngestEvent) -> Void) async throws -> Void
    ) -> AsyncThrowingStream<IngestEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await work { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Runs one job (the ingestor marks it interrupted when it stops early); nothing when it
    /// runs already (another request resumed it).
    private func run(_ job: IngestionJob, report: @escaping @Sendable (IngestEvent) -> Void) async throws {
        // A new job (id 0) gets its id from the store; only a resumed one can run twice.
        guard job.id == 0 || running.claim(job.id) else { return }
        defer { running.release(job.id) }
        let first = FirstReport()
        let done = try await base.ingestor.run(job) { job in report(first.take() ? .started(job) : .progress(job)) }
        report(.finished(done))
    }
}

/// Whether a job's first progress report is still to come.
private final class FirstReport: Sendable {
    private let pending = Mutex(true)

    /// True the first time only.
    func take() -> Bool {
        pending.withLock { pending in
            defer { pending = false }
            return pending
        }
    }
}

/// The ids of the jobs running in this process.
private final class RunningJobs: Sendable {
    private let ids = Mutex<Set<Int64>>([])

    /// False when the job runs already.
    func claim(_ id: Int64) -> Bool { ids.withLock { $0.insert(id).inserted } }
    func release(_ id: Int64) { _ = ids.withLock { $0.remove(id) } }
}
