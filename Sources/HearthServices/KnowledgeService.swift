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
        guard (1...100).contains(query.k) else { throw HearthError.invalidRequest("'k' must be 1 to 100", field: "k") }
        return try await base.retriever.search(query)
    }

    /// An answer being written: the sources it cites, and its token stream.
    public struct Answer: Sendable {
        public var model: String
        public var sources: [SearchHit]
        public var events: AsyncThrowingStream<TokenEvent, any Error>
    }

    /// Answers `query.text` from its collections with `model` (default: the server's), citing
    /// [n]; `history` holds earlier turns (or a system prompt). Nothing similar enough found:
    /// says so without asking the model.
    /// - Throws: retrieval errors and invalid parameters; generation errors arrive in the stream.
    public func ask(
        _ query: RetrievalQuery, model: String? = nil, params: GenerationParams = GenerationParams(), history: [ChatMessage] = []
    ) async throws -> Answer {
        let model = ModelStore.canonicalName(model ?? pipeline.defaultModel)
        var params = params
        if params.maxTokens == nil { params.maxTokens = Answerer.defaultMaxTokens }
        try params.validate()
        let sources = try await base.answerer.sources(for: query)
        let events = base.answerer.answer(
            query, from: sources, model: model, params: params, history: history,
            generate: { [pipeline] in try await pipeline.generate($0) })
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
    /// `embeddingModel` (default: the server's); with `resume`, finishes the interrupted jobs
    /// of the collection (or all) instead. Reports as it goes. A request that goes away (the
    /// stream is dropped) stops the job where it is; it is marked interrupted and resumes later.
    /// - Throws: (in the stream) `HearthError.invalidRequest` for paths outside the ingest
    ///   roots or missing, an invalid collection name; the embedder's errors.
    public func ingest(_ job: IngestionJob, embeddingModel: String? = nil, resume: Bool = false) -> AsyncThrowingStream<
        IngestEvent, any Error
    > {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await runIngestion(job, embeddingModel: embeddingModel, resume: resume) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func runIngestion(
        _ job: IngestionJob, embeddingModel: String?, resume: Bool, report: @escaping @Sendable (IngestEvent) -> Void
    ) async throws {
        let ingestor = base.ingestor
        let collection = job.collection.isEmpty ? nil : job.collection
        if let collection { try KnowledgeCollection.validate(name: collection) }
        let interrupted = try await ingestor.interruptedJobs(in: collection)
        guard !resume else {
            for job in interrupted { try await run(job, report: report) }
            return
        }
        guard collection != nil else { throw HearthError.invalidRequest("'collection' is required", field: "collection") }
        guard !job.paths.isEmpty else { throw HearthError.invalidRequest("name at least one file or folder", field: "paths") }
        var job = job
        job.paths = try job.paths.map(checkedPath)
        for job in interrupted { report(.interrupted(job)) }
        _ = try await createCollection(job.collection, embeddingModel: embeddingModel)
        try await run(job, report: report)
    }

    /// Runs one job; when cancelled, marks it interrupted so that it resumes later.
    private func run(_ job: IngestionJob, report: @escaping @Sendable (IngestEvent) -> Void) async throws {
        let latest = LatestJob()
        do {
            let done = try await base.ingestor.run(job) { job in
                report(latest.update(job) ? .started(job) : .progress(job))
            }
            report(.finished(done))
        } catch {
            if Task.isCancelled || error is CancellationError, var job = latest.get(), job.id != 0 {
                job.status = .interrupted
                try? await base.store.updateJob(job)
            }
            throw error
        }
    }

    /// `path` made absolute and checked: it exists and lies inside an ingest root.
    private func checkedPath(_ path: String) throws -> String {
        guard path.hasPrefix("/") else {
            throw HearthError.invalidRequest("paths must be absolute, got '\(path)'", field: "paths")
        }
        let resolved = URL(filePath: path).standardizedFileURL.resolvingSymlinksInPath().path
        guard ingestRoots.contains(where: { $0 == "/" || resolved == $0 || resolved.hasPrefix($0 + "/") }) else {
            throw HearthError.invalidRequest(
                "'\(path)' is outside the folders this server may read (HEARTH_INGEST_ROOTS)", field: "paths")
        }
        guard FileManager.default.fileExists(atPath: resolved) else {
            throw HearthError.invalidRequest("'\(path)' does not exist", field: "paths")
        }
        return URL(filePath: path).standardizedFileURL.path
    }
}

/// The last state of a running job, seen from the progress callback.
private final class LatestJob: Sendable {
    private let job = Mutex<IngestionJob?>(nil)

    /// Records `job`; returns whether it is the first report.
    func update(_ job: IngestionJob) -> Bool {
        self.job.withLock { latest in
            defer { latest = job }
            return latest == nil
        }
    }

    func get() -> IngestionJob? { job.withLock { $0 } }
}
