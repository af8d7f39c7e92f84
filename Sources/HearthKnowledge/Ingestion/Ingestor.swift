import Crypto
import Foundation
import HearthCore
import Logging

/// Runs ingestion jobs: walks the paths, skips files whose content hash is unchanged,
/// loads and chunks the rest (the next file is loaded while the current one is embedded),
/// embeds chunks in batches and stores each document in one transaction. A job killed at
/// any point resumes by running again: stored documents are whole, unchanged ones skipped.
public struct Ingestor: Sendable {
    public var store: any KnowledgeStore
    public var embedder: any Embedder
    public var chunker: Chunker
    /// Chunks per call to the embedder.
    public var batchSize: Int
    public var logger: Logger
    /// Where progress is published (`ingestion` events), for the collection's owner.
    public var events: (any EventBus)?

    public init(
        store: any KnowledgeStore, embedder: any Embedder, chunker: Chunker = Chunker(), batchSize: Int = 32,
        logger: Logger = Logger(label: "hearth.knowledge"), events: (any EventBus)? = nil
    ) {
        self.events = events
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.batchSize = max(1, batchSize)
        self.logger = logger
    }

    /// The collection, created for `embeddingModel` when it does not exist yet.
    /// - Throws: `HearthError` (invalid name, the model fails).
    public func collection(_ name: String, embeddingModel: String, label: String? = nil, ownerID: Int64? = nil) async throws
        -> KnowledgeCollection
    {
        if let existing = try await store.collection(name) { return existing }
        try KnowledgeCollection.validate(name: name)
        guard let probe = try await embedder.embed(["dimension probe"], model: embeddingModel).first else {
            throw HearthError(.internalError, "the embedding model returned no vector")
        }
        return try await store.createCollection(
            KnowledgeCollection(name: name, label: label, embeddingModel: embeddingModel, dimensions: probe.count, ownerID: ownerID))
    }

    /// Jobs found running whose process is gone, now marked interrupted.
    public func interruptedJobs(in collection: String? = nil) async throws -> [IngestionJob] {
        var found: [IngestionJob] = []
        for var job in try await store.jobs(in: collection) where job.status == .running || job.status == .interrupted {
            if job.status == .running {
                guard kill(job.pid, 0) != 0, errno == ESRCH else { continue }
                job.status = .interrupted
                try await store.updateJob(job)
            }
            found.append(job)
        }
        return found
    }

    /// Runs `job` (new, or one that was interrupted) to the end, reporting progress after
    /// each file. Files that cannot be read are recorded in `problems` and skipped.
    /// - Throws: `HearthError` when the collection is unknown or the embedding model fails.
    public func run(_ job: IngestionJob, progress: @escaping @Sendable (IngestionJob) -> Void = { _ in }) async throws
        -> IngestionJob
    {
        var job = job
        job.status = .running
        job.pid = ProcessInfo.processInfo.processIdentifier
        job.problems = []
        job.filesDone = 0
        job.filesIngested = 0
        job.filesUnchanged = 0
        job.chunks = 0
        job.removed = 0
        if job.id == 0 { job = try await store.createJob(job) } else { try await store.updateJob(job) }
        do {
            return try await process(&job, progress: progress)
        } catch {
            // Stopped (cancelled, or failed): it resumes when ingested again.
            job.status = .interrupted
            if !(error is CancellationError) {  // stopped with the server: it resumes, it did not fail
                let owner = try? await store.collection(job.collection, counted: false)?.ownerID
                publish(job, owner: owner ?? nil, error: (error as? HearthError)?.message ?? "\(error)")
            }
            do { try await store.updateJob(job) } catch let failure {
                logger.error("could not record an ingestion job as interrupted", metadata: ["error": "\(String(reflecting: failure))"])
            }
            throw error
        }
    }

    /// The job's work after it is recorded; `job` follows its progress.
    private func process(_ job: inout IngestionJob, progress: @escaping @Sendable (IngestionJob) -> Void) async throws
        -> IngestionJob
    {
        guard let collection = try await store.collection(job.collection, counted: false) else {
            throw KnowledgeCollection.notFound(job.collection)
        }
        let owner = collection.ownerID
        func report(_ job: IngestionJob) {
            progress(job)
            publish(job, owner: owner)
        }
        let walked = try SourceWalker(maxFileBytes: job.maxFileBytes).walk(job.paths.map { URL(filePath: $0) })
        job.filesTotal = walked.files.count
        job.unsupported = walked.unsupported
        job.problems = walked.problems
        report(job)
        let known = Dictionary(
            try await store.documents(in: job.collection).map { ($0.path, $0.contentHash) }, uniquingKeysWith: { first, _ in first })
        let chunker = self.chunker
        let files = walked.files

        var next: Task<Prepared, Never>? = files.first.map { file in Task { await Self.prepare(file, known: known, chunker: chunker) } }
        for position in files.indices {
            try Task.checkCancellation()
            let prepared = await next!.value
            next =
                position + 1 < files.count
                ? Task { [file = files[position + 1]] in await Self.prepare(file, known: known, chunker: chunker) } : nil
            switch prepared {
            case .unchanged:
                job.filesUnchanged += 1
            case .failed(let path, let reason):
                job.problems.append(.init(path: path, reason: reason))
            case .ready(var draft, let embedTexts):
                do {
                    (draft.chunks, draft.vectors) = try await embed(draft.chunks, texts: embedTexts, model: collection.embeddingModel)
                    _ = try await store.putDocument(draft, in: job.collection)
                    job.chunks += draft.chunks.count
                    job.filesIngested += 1
                } catch let error as HearthError where error.code == .invalidRequest {
                    job.problems.append(.init(path: draft.path, reason: error.message))
                }
            }
            job.filesDone += 1
            try await store.updateJob(job)
            report(job)
        }
        if job.sync { job.removed = try await removeVanished(job) }
        job.status = .completed
        try await store.updateJob(job)
        try await store.flush()
        report(job)
        return job
    }

    enum Prepared: Sendable {
        case unchanged
        case failed(String, String)
        case ready(DocumentDraft, [String])
    }

    static func prepare(_ file: SourceFile, known: [String: String], chunker: Chunker) async -> Prepared {
        let path = file.url.path
        let data: Data
        do { data = try Data(contentsOf: file.url) } catch { return .failed(path, "cannot read it: \(error.localizedDescription)") }
        let hash = contentHash(data)
        if known[path] == hash { return .unchanged }
        do {
            let document = try await DocumentLoader.load(file.url, kind: file.kind, data: data)
            guard let (draft, texts) = draft(path: path, hash: hash, bytes: Int64(data.count), document: document, chunker: chunker)
            else { return .failed(path, "no text in it") }
            return .ready(draft, texts)
        } catch let error as HearthError {
            return .failed(path, error.message)
        } catch {
            return .failed(path, "\(error)")
        }
    }

    /// A loaded document as a draft without vectors, and the texts to embed for its chunks
    /// (heading path, then text); nil when it holds no text.
    static func draft(path: String, hash: String, bytes: Int64, document: LoadedDocument, chunker: Chunker, fileID: String? = nil)
        -> (DocumentDraft, [String])?
    {
        let chunks = chunker.chunks(document)
        guard !chunks.isEmpty else { return nil }
        let draft = DocumentDraft(
            path: path, contentHash: hash, bytes: bytes, metadata: document.metadata, fileID: fileID, chunks: chunks, vectors: [])
        return (draft, chunks.map(Self.embeddingText))
    }

    static func embeddingText(_ chunk: ChunkDraft) -> String {
        chunk.headings.isEmpty ? chunk.text : chunk.heading + "\n" + chunk.text
    }

    /// Embeds chunks in batches; a chunk too long for the model is cut in two and retried.
    func embed(_ chunks: [ChunkDraft], texts: [String], model: String) async throws -> ([ChunkDraft], [[Float]]) {
        var outChunks: [ChunkDraft] = []
        var outVectors: [[Float]] = []
        var start = 0
        while start < chunks.count {
            let end = min(start + batchSize, chunks.count)
            do {
                outVectors += try await embedder.embed(Array(texts[start..<end]), model: model)
                outChunks += chunks[start..<end]
            } catch let error as HearthError where error.code == .contextLengthExceeded {
                for chunk in chunks[start..<end] {
                    let (pieces, vectors) = try await embedOne(chunk, model: model, depth: 0)
                    outChunks += pieces
                    outVectors += vectors
                }
            }
            start = end
        }
        return (outChunks, outVectors)
    }

    private func embedOne(_ chunk: ChunkDraft, model: String, depth: Int) async throws -> ([ChunkDraft], [[Float]]) {
        do {
            return ([chunk], try await embedder.embed([Self.embeddingText(chunk)], model: model))
        } catch let error as HearthError where error.code == .contextLengthExceeded && depth < 6 && chunk.text.count > 1 {
            let middle = chunk.text.index(chunk.text.startIndex, offsetBy: chunk.text.count / 2)
            let cut = chunk.text[middle...].firstIndex(where: \.isWhitespace) ?? middle
            var first = chunk
            var second = chunk
            first.text = String(chunk.text[..<cut])
            second.text = String(chunk.text[cut...]).trimmingCharacters(in: .whitespacesAndNewlines)
            let a = try await embedOne(first, model: model, depth: depth + 1)
            let b = try await embedOne(second, model: model, depth: depth + 1)
            return (a.0 + b.0, a.1 + b.1)
        }
    }

    /// With `--sync`: documents under the job's paths whose files are gone.
    private func removeVanished(_ job: IngestionJob) async throws -> Int {
        var removed = 0
        let roots = job.paths.map { URL(filePath: $0).standardizedFileURL.path }
        for document in try await store.documents(in: job.collection) where document.fileID == nil {
            let under = roots.contains { document.path == $0 || document.path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
            if under, !FileManager.default.fileExists(atPath: document.path) {
                if try await store.deleteDocument(in: job.collection, path: document.path) { removed += 1 }
            }
        }
        return removed
    }

    /// Ingests one uploaded file (Files API) into a collection.
    /// - Throws: `HearthError.invalidRequest` when it holds no readable text.
    public func ingest(file: StoredFile, content: Data, into collection: String, attributes: [String: String] = [:]) async throws
        -> StoredDocument
    {
        guard let target = try await store.collection(collection, counted: false) else { throw KnowledgeCollection.notFound(collection) }
        let hash = Self.contentHash(content)
        let document = try await DocumentLoader.load(named: file.filename, data: content)
        var metadata = document.metadata.merging(attributes) { $1 }
        metadata["file_id"] = file.id
        guard
            var (draft, texts) = Self.draft(
                path: "\(file.id)/\(file.filename)", hash: hash, bytes: Int64(content.count),
                document: LoadedDocument(blocks: document.blocks, metadata: metadata), chunker: chunker, fileID: file.id)
        else { throw HearthError.invalidRequest("\(file.filename): no text in it") }
        (draft.chunks, draft.vectors) = try await embed(draft.chunks, texts: texts, model: target.embeddingModel)
        return try await store.putDocument(draft, in: collection)
    }

    /// Publishes where `job` stands (failed when there is an `error`), when anyone listens.
    func publish(_ job: IngestionJob, owner: Int64?, error: String? = nil) {
        guard let events, events.hasSubscribers else { return }
        let status: IngestionProgress.Status = error != nil ? .failed : job.status == .completed ? .completed : .inProgress
        events.publish(
            HearthEvent(
                .ingestion(
                    IngestionProgress(
                        collection: job.collection, job: job.id, status: status, filesDone: job.filesDone, filesTotal: job.filesTotal,
                        chunks: job.chunks, error: error)), ownerID: owner))
    }

    /// A document's content hash: sha256 of its bytes, in hex.
    static func contentHash(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
