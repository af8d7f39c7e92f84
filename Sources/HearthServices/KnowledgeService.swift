import Foundation
import HearthCore
import HearthKnowledge
import HearthModels
import HearthProviders
import Synchronization

/// The knowledge base as routes and the CLI use it: collections, ingestion jobs, search and
/// answers with citations.
public struct KnowledgeService: Sendable {
    /// The store with its ingestor, retriever and answerer.
    public let base: KnowledgeBase
    let pipeline: ChatPipeline
    /// Folders (resolved, without trailing slash) ingestion may read from.
    let ingestRoots: [String]
    /// Jobs running now, so that two resumes never run one job twice.
    private let running = RunningJobs()

    init(base: KnowledgeBase, pipeline: ChatPipeline, ingestRoots: [String]) {
        self.base = base
        self.pipeline = pipeline
        self.ingestRoots = ingestRoots.map { URL(filePath: $0).resolvingSymlinksInPath().path }
    }

    // MARK: - Collections

    /// Every collection with its counts.
    public func collections() async throws -> [KnowledgeCollection] {
        try await base.store.collections()
    }

    /// A collection, its documents and its last ingestion job.
    public struct CollectionDetail: Sendable {
        public var collection: KnowledgeCollection
        public var documents: [StoredDocument]
        public var lastJob: IngestionJob?
    }

    /// - Throws: `HearthError.notFound` for an unknown collection.
    public func collection(_ name: String) async throws -> CollectionDetail {
        guard let collection = try await base.store.collection(name) else { throw KnowledgeCollection.notFound(name) }
        return CollectionDetail(
            collection: collection, documents: try await base.store.documents(in: name),
            lastJob: try await base.store.jobs(in: name).first)
    }

    /// Creates the collection, or returns it when it exists.
    /// - Throws: `HearthError.invalidRequest` for an invalid name.
    public func createCollection(_ name: String, embeddingModel: String? = nil) async throws -> KnowledgeCollection {
        try await base.ingestor.collection(name, embeddingModel: ModelStore.canonicalName(embeddingModel ?? base.embeddingModel))
    }

    /// - Throws: `HearthError.notFound` for an unknown collection.
    public func deleteCollection(_ name: String) async throws {
        guard try await base.store.deleteCollection(name) else { throw KnowledgeCollection.notFound(name) }
    }

    // MARK: - Search and answers

    /// Hybrid search (keywords and meaning, fused).
    /// - Throws: `HearthError.notFound` for an unknown collection, the embedder's errors.
    public func search(_ query: RetrievalQuery) async throws -> [SearchHit] {
        try await base.retriever.search(query)
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
        let sources = try await base.answerer.sources(for: query)
        let events = base.answerer.answer(
            query, from: sources, model: model, params: params, history: history,
            generate: { [pipeline] request in
                var request = request
                request.keepAlive = keepAlive
                return try await pipeline.generate(request)
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
            job.paths = try job.paths.map(checkedPath)
            for interrupted in try await base.ingestor.interruptedJobs(in: job.collection) { report(.interrupted(interrupted)) }
            _ = try await createCollection(job.collection, embeddingModel: embeddingModel)
            try await run(job, report: report)
        }
    }

    /// Finishes the interrupted jobs of `collection` (or of all), reporting as `ingest` does.
    /// - Throws: (in the stream) as `ingest`; a job whose paths this server may not read.
    public func resume(in collection: String? = nil, by principal: Principal) -> AsyncThrowingStream<IngestEvent, any Error> {
        stream { report in
            try IdentityService.requireAdmin(principal)
            for var job in try await base.ingestor.interruptedJobs(in: collection) {
                job.paths = try job.paths.map(checkedPath)
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

    /// `path` resolved and checked: absolute, existing, without hidden parts (`.ssh`,
    /// `.config`, where keys and settings live) and inside an ingest root.
    private func checkedPath(_ path: String) throws -> String {
        guard path.hasPrefix("/") else {
            throw HearthError.invalidRequest("paths must be absolute, got '\(path)'", field: "paths")
        }
        let resolved = URL(filePath: path).standardizedFileURL.resolvingSymlinksInPath()
        guard !resolved.pathComponents.contains(where: { $0.hasPrefix(".") && $0 != "." && $0 != ".." }) else {
            throw HearthError.invalidRequest("'\(path)' is hidden; hidden files and folders are not ingested", field: "paths")
        }
        guard ingestRoots.contains(where: { $0 == "/" || resolved.path == $0 || resolved.path.hasPrefix($0 + "/") }) else {
            throw HearthError.invalidRequest(
                "'\(path)' is outside the folders this server may read (HEARTH_INGEST_ROOTS)", field: "paths")
        }
        guard FileManager.default.fileExists(atPath: resolved.path) else {
            throw HearthError.invalidRequest("'\(path)' does not exist", field: "paths")
        }
        return resolved.path
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
