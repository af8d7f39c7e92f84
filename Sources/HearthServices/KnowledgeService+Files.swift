import Foundation
import HearthCore
import HearthKnowledge

/// Uploaded files and what OpenAI calls vector stores (collections whose documents come from
/// uploads): the decisions behind `/v1/files` and `/v1/vector_stores`, whose routes only
/// translate.
extension KnowledgeService {
    // MARK: - Files

    /// Keeps an uploaded file (only its base name), ready to be added to collections.
    public func upload(_ data: Data, filename: String?, purpose: String?) async throws -> StoredFile {
        let file = StoredFile(
            id: "file-" + randomID(), filename: URL(filePath: filename ?? "upload.txt").lastPathComponent,
            purpose: purpose ?? "assistants", bytes: Int64(data.count))
        try await base.store.putFile(file, content: data)
        return file
    }

    /// Uploaded files, only those of `purpose` when it is given.
    public func files(purpose: String? = nil) async throws -> [StoredFile] {
        let files = try await base.store.files()
        return purpose.map { purpose in files.filter { $0.purpose == purpose } } ?? files
    }

    /// - Throws: `HearthError.notFound` for an unknown file.
    public func file(_ id: String) async throws -> StoredFile {
        guard let file = try await base.store.file(id) else { throw Self.fileNotFound(id) }
        return file
    }

    /// - Throws: `HearthError.notFound` for an unknown file.
    public func fileContent(_ id: String) async throws -> Data {
        guard let data = try await base.store.fileContent(id) else { throw Self.fileNotFound(id) }
        return data
    }

    /// - Throws: `HearthError.notFound` for an unknown file.
    public func deleteFile(_ id: String) async throws {
        guard try await base.store.deleteFile(id) else { throw Self.fileNotFound(id) }
    }

    // MARK: - Vector stores

    /// A collection and the uploaded files added to it.
    public struct VectorStore: Sendable {
        public var collection: KnowledgeCollection
        public var attachments: [FileAttachment]
    }

    /// Creates a collection with a fresh `vs_…` name, labelled `label`, and adds `fileIDs` to it.
    /// - Throws: `HearthError.notFound` for an unknown file.
    public func createVectorStore(label: String?, fileIDs: [String]) async throws -> VectorStore {
        let name = "vs_" + randomID()
        _ = try await base.ingestor.collection(name, embeddingModel: base.embeddingModel, label: label ?? "")
        for fileID in fileIDs { try await attach(fileID, to: name, attributes: [:]) }
        return try await vectorStore(name)
    }

    /// Every collection with its attachments.
    public func vectorStores() async throws -> [VectorStore] {
        var stores: [VectorStore] = []
        for collection in try await base.store.collections() {
            stores.append(VectorStore(collection: collection, attachments: try await base.store.attachments(in: collection.name)))
        }
        return stores
    }

    /// - Throws: `HearthError.notFound` for an unknown collection.
    public func vectorStore(_ name: String) async throws -> VectorStore {
        guard let collection = try await base.store.collection(name) else { throw KnowledgeCollection.notFound(name) }
        return VectorStore(collection: collection, attachments: try await base.store.attachments(in: name))
    }

    /// Gives the collection a new label.
    /// - Throws: `HearthError.notFound` for an unknown collection.
    public func relabel(_ name: String, label: String) async throws -> VectorStore {
        try await base.store.relabelCollection(name, label: label)
        return try await vectorStore(name)
    }

    /// Records the file as being added to the collection and queues its ingestion; its
    /// status says when it is searchable.
    /// - Throws: `HearthError.notFound` for an unknown file or collection.
    @discardableResult
    public func attach(_ fileID: String, to collection: String, attributes: [String: String]) async throws -> FileAttachment {
        let file = try await file(fileID)
        let attachment = FileAttachment(fileID: fileID, collection: collection, bytes: file.bytes, attributes: attributes)
        try await base.store.putAttachment(attachment)
        base.uploads.submit(UploadQueue.Work(fileID: fileID, collection: collection))
        return attachment
    }

    /// The collection's attachments, only those of `status` when it is given.
    public func attachments(in collection: String, status: String? = nil) async throws -> [FileAttachment] {
        let attachments = try await base.store.attachments(in: collection)
        return status.map { status in attachments.filter { $0.status.rawValue == status } } ?? attachments
    }

    /// - Throws: `HearthError.notFound` when the file is not in the collection.
    public func attachment(_ fileID: String, in collection: String) async throws -> FileAttachment {
        guard let attachment = try await base.store.attachment(fileID: fileID, in: collection) else { throw Self.fileNotFound(fileID) }
        return attachment
    }

    /// Removes the file and its chunks from the collection (the upload stays).
    /// - Throws: `HearthError.notFound` when the file is not in the collection.
    public func detach(_ fileID: String, from collection: String) async throws {
        guard try await base.store.deleteAttachment(fileID: fileID, in: collection) else { throw Self.fileNotFound(fileID) }
    }

    // MARK: - File batches

    /// A batch of files added together, and its files as they stand now (a file removed since is left out).
    public struct Batch: Sendable {
        public var batch: FileBatch
        public var attachments: [FileAttachment]
    }

    /// Adds the files (with their attributes) to the collection as one batch.
    /// - Throws: `HearthError.invalidRequest` for no files, `.notFound` for an unknown file.
    public func addBatch(_ files: [(fileID: String, attributes: [String: String])], to collection: String) async throws -> Batch {
        guard !files.isEmpty else { throw HearthError.invalidRequest("'file_ids' or 'files' is required", field: "file_ids") }
        for (fileID, attributes) in files { try await attach(fileID, to: collection, attributes: attributes) }
        let batch = FileBatch(id: "vsfb_" + randomID(), collection: collection, fileIDs: files.map(\.fileID))
        try await base.store.putFileBatch(batch)
        return try await members(of: batch)
    }

    /// - Throws: `HearthError.notFound` for an unknown batch.
    public func batch(_ id: String, in collection: String) async throws -> Batch {
        guard let batch = try await base.store.fileBatch(id, in: collection) else {
            throw HearthError(.notFound, "file batch '\(id.prefix(80))' not found")
        }
        return try await members(of: batch)
    }

    /// Cancels the batch's files that wait for ingestion.
    /// - Throws: `HearthError.notFound` for an unknown batch.
    public func cancelBatch(_ id: String, in collection: String) async throws -> Batch {
        let batch = try await batch(id, in: collection).batch
        try await base.store.cancelAttachments(fileIDs: batch.fileIDs, in: batch.collection)
        return try await members(of: batch)
    }

    private func members(of batch: FileBatch) async throws -> Batch {
        let members = Set(batch.fileIDs)
        let attachments = try await base.store.attachments(in: batch.collection).filter { members.contains($0.fileID) }
        return Batch(batch: batch, attachments: attachments)
    }

    // MARK: - Search

    /// Hybrid search of one collection for the queries together, keeping hits at or above
    /// `threshold` (similarity when known, else the fused score).
    /// - Throws: `HearthError.invalidRequest` for no query or a count outside 1…50.
    public func search(
        _ queries: [String], in collection: String, k: Int, filter: SearchFilter, threshold: Double?
    ) async throws -> [SearchHit] {
        guard !queries.isEmpty else { throw HearthError.invalidRequest("'query' must not be empty", field: "query") }
        guard (1...50).contains(k) else { throw HearthError.invalidRequest("'max_num_results' must be 1 to 50", field: "max_num_results") }
        let hits = try await search(RetrievalQuery(text: queries.joined(separator: " "), collections: [collection], k: k, filter: filter))
        return threshold.map { threshold in hits.filter { ($0.similarity ?? $0.score) >= threshold } } ?? hits
    }

    static func fileNotFound(_ id: String) -> HearthError {
        HearthError(.notFound, "file '\(id.prefix(80))' not found", field: "file_id")
    }
}
