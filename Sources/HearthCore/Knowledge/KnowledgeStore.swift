import Foundation

/// The knowledge base's store of record: collections, documents, chunks with their vectors,
/// keyword and vector search, ingestion jobs and uploaded files. `SQLiteKnowledgeStore` is
/// the embedded default. Every call throws `HearthError` for bad input (unknown collection:
/// `.notFound`) and for storage failures (`.internalError`).
public protocol KnowledgeStore: Sendable {
    /// Creates a collection. Throws `.invalidRequest` when the name is taken or invalid.
    func createCollection(_ collection: KnowledgeCollection) async throws -> KnowledgeCollection
    /// The collection, or nil; its document, chunk and byte counts only when `counted`
    /// (counting costs a few milliseconds on large collections).
    func collection(_ name: String, counted: Bool) async throws -> KnowledgeCollection?
    /// Every collection, by name.
    func collections() async throws -> [KnowledgeCollection]
    /// Sets a collection's display name.
    func relabelCollection(_ name: String, label: String?) async throws
    /// Sets the users (ids; `KnowledgeCollection.everyone` for all) who may read a collection besides its owner.
    func shareCollection(_ name: String, with userIDs: [Int64]) async throws
    /// Deletes a collection with its documents, chunks and jobs; returns whether it existed.
    func deleteCollection(_ name: String) async throws -> Bool

    /// The collection's documents, by path.
    func documents(in collection: String) async throws -> [StoredDocument]
    func document(in collection: String, path: String) async throws -> StoredDocument?
    /// The texts of a document's chunks, in order.
    func chunkTexts(ofDocument id: Int64) async throws -> [String]
    /// Stores a document with its chunks and vectors in one transaction, replacing the
    /// document at the same path (its version goes up by one).
    func putDocument(_ draft: DocumentDraft, in collection: String) async throws -> StoredDocument
    /// Deletes a document and its chunks; returns whether it existed.
    func deleteDocument(in collection: String, path: String) async throws -> Bool

    /// Chunks matching words of `query` (BM25), best first.
    func keywordSearch(_ query: String, in collection: String, k: Int, filter: SearchFilter) async throws -> [RankedChunk]
    /// Chunks nearest to `vector` (cosine), best first.
    func vectorSearch(_ vector: [Float], in collection: String, k: Int, filter: SearchFilter) async throws -> [RankedChunk]
    /// The chunks with these ids, in the same order (ids that no longer exist are left out).
    func hits(_ ids: [Int64]) async throws -> [SearchHit]
    /// The stored vectors of these chunks.
    func vectors(_ ids: [Int64]) async throws -> [Int64: [Float]]

    /// Writes derived indexes so that the next start loads them instead of rebuilding them
    /// (called when an ingestion ends and at shutdown).
    func flush() async throws

    /// Records a new job (its id is assigned) and returns it.
    func createJob(_ job: IngestionJob) async throws -> IngestionJob
    /// Saves a job's progress and status.
    func updateJob(_ job: IngestionJob) async throws
    /// Jobs, newest first, optionally of one collection.
    func jobs(in collection: String?) async throws -> [IngestionJob]

    /// Stores an uploaded file (OpenAI Files API).
    func putFile(_ file: StoredFile, content: Data) async throws
    func file(_ id: String) async throws -> StoredFile?
    func fileContent(_ id: String) async throws -> Data?
    /// Uploaded files, newest first.
    func files() async throws -> [StoredFile]
    /// Deletes an uploaded file (documents made from it stay); returns whether it existed.
    func deleteFile(_ id: String) async throws -> Bool

    /// Records that `fileID` is being added to a collection, or saves its new status.
    func putAttachment(_ attachment: FileAttachment) async throws
    /// The collection's uploaded files, newest first.
    func attachments(in collection: String) async throws -> [FileAttachment]
    /// One uploaded file of the collection, or nil.
    func attachment(fileID: String, in collection: String) async throws -> FileAttachment?
    /// Removes a file from a collection with the document made from it.
    func deleteAttachment(fileID: String, in collection: String) async throws -> Bool

    /// Marks those of these files still waiting in a collection `cancelled`, so that they are
    /// not ingested; a file already ingested, or being ingested, keeps its outcome.
    func cancelAttachments(fileIDs: [String], in collection: String) async throws
    /// Records a batch of files added to a collection together (OpenAI's file batches).
    func putFileBatch(_ batch: FileBatch) async throws
    /// The batch, or nil when it is unknown or belongs to another collection.
    func fileBatch(_ id: String, in collection: String) async throws -> FileBatch?
}

extension KnowledgeStore {
    /// The collection with its counts, or nil.
    public func collection(_ name: String) async throws -> KnowledgeCollection? {
        try await collection(name, counted: true)
    }
}

/// A run of `hearth ingest` (or an upload) over some paths, kept so that it can resume.
public struct IngestionJob: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        case running, completed, failed
        /// Stopped before its end (cancelled, failed, or found running with its process gone):
        /// it resumes when ingested again.
        case interrupted
    }

    /// A file that could not be ingested, and why.
    public struct Problem: Sendable, Equatable, Codable {
        public var path: String
        public var reason: String

        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
    }

    public var id: Int64
    public var collection: String
    public var paths: [String]
    public var sync: Bool
    /// Files larger than this are left out (and reported).
    public var maxFileBytes: Int64
    public var status: Status
    /// The process running the job, to tell a crashed job from a running one.
    public var pid: Int32
    public var filesTotal: Int
    public var filesDone: Int
    /// Files stored anew (new or changed).
    public var filesIngested: Int
    public var filesUnchanged: Int
    /// Files of kinds no loader reads, left out.
    public var unsupported: Int
    public var chunks: Int
    public var removed: Int
    public var problems: [Problem]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: Int64 = 0, collection: String, paths: [String], sync: Bool = false, maxFileBytes: Int64 = 10 << 20,
        status: Status = .running,
        pid: Int32 = ProcessInfo.processInfo.processIdentifier, createdAt: Date = Date()
    ) {
        self.id = id
        self.collection = collection
        self.paths = paths
        self.sync = sync
        self.maxFileBytes = maxFileBytes
        self.status = status
        self.pid = pid
        filesTotal = 0
        filesDone = 0
        filesIngested = 0
        filesUnchanged = 0
        unsupported = 0
        chunks = 0
        removed = 0
        problems = []
        self.createdAt = createdAt
        updatedAt = createdAt
    }
}

/// A file uploaded through the Files API.
public struct StoredFile: Sendable, Equatable, Codable {
    public var id: String
    public var filename: String
    public var purpose: String
    public var bytes: Int64
    public var createdAt: Date
    /// The user who uploaded it; nil: the administrators'.
    public var ownerID: Int64?

    public init(id: String, filename: String, purpose: String, bytes: Int64, createdAt: Date = Date(), ownerID: Int64? = nil) {
        self.ownerID = ownerID
        self.id = id
        self.filename = filename
        self.purpose = purpose
        self.bytes = bytes
        self.createdAt = createdAt
    }
}

/// An uploaded file added to a collection, and how its ingestion went.
public struct FileAttachment: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        case inProgress = "in_progress"
        case completed, failed, cancelled
    }

    public var fileID: String
    public var collection: String
    public var status: Status
    public var error: String?
    public var bytes: Int64
    public var attributes: [String: String]
    public var createdAt: Date

    public init(
        fileID: String, collection: String, status: Status = .inProgress, error: String? = nil, bytes: Int64 = 0,
        attributes: [String: String] = [:], createdAt: Date = Date()
    ) {
        self.fileID = fileID
        self.collection = collection
        self.status = status
        self.error = error
        self.bytes = bytes
        self.attributes = attributes
        self.createdAt = createdAt
    }
}

/// Files added to a collection in one request; their attachments tell how each went.
public struct FileBatch: Sendable, Equatable, Codable {
    public var id: String
    public var collection: String
    public var fileIDs: [String]
    public var createdAt: Date

    public init(id: String, collection: String, fileIDs: [String], createdAt: Date = Date()) {
        self.id = id
        self.collection = collection
        self.fileIDs = fileIDs
        self.createdAt = createdAt
    }
}
