import Foundation
import HearthCore
import HearthKnowledge

/// Uploaded files and what OpenAI calls vector stores (collections whose documents come from
/// uploads): the decisions behind `/v1/files` and `/v1/vector_stores`, whose routes only
/// translate.
extension KnowledgeService {
    // MARK: - Files

    /// Keeps an uploaded file (only its base name) as `principal`'s, ready to be added to collections.
    public func upload(_ data: Data, filename: String?, purpose: String?, by principal: Principal) async throws -> StoredFile {
        let file = StoredFile(
            id: "file-" + randomID(), filename: URL(filePath: filename ?? "upload.txt").lastPathComponent,
            purpose: purpose ?? "assistants", bytes: Int64(data.count), ownerID: principal.ownerID)
        try await base.store.putFile(file, content: data)
        return file
    }

    /// The uploaded files `principal` reaches, only those of `purpose` when it is given.
    public func files(purpose: String? = nil, by principal: Principal) async throws -> [StoredFile] {
        let files = try await base.store.files().filter { principal.owns($0.ownerID) }
        return purpose.map { purpose in files.filter { $0.purpose == purpose } } ?? files
    }

    /// - Throws: `HearthError.notFound` for an unknown file, or another's.
    public func file(_ id: String, by principal: Principal) async throws -> StoredFile {
        guard let file = try await base.store.file(id), principal.owns(file.ownerID) else { throw Self.fileNotFound(id) }
        return file
    }

    /// - Throws: `HearthError.notFound` for an unknown file, or another's.
    public func fileContent(_ id: String, by principal: Principal) async throws -> Data {
        _ = try await file(id, by: principal)
        guard let data = try await base.store.fileContent(id) else { throw Self.fileNotFound(id) }
        return data
    }

    /// - Throws: `HearthError.notFound` for an unknown file, or another's.
    public func deleteFile(_ id: String, by principal: Principal) async throws {
        _ = try await file(id, by: principal)
        guard try await base.store.deleteFile(id) else { throw Self.fileNotFound(id) }
        try await identity.record(principal.name, "file.delete", target: id)
    }

    // MARK: - Vector stores

    /// A collection and the uploaded files added to it.
    public struct VectorStore: Sendable {
        public var collection: KnowledgeCollection
        public var attachments: [FileAttachment]
    }

    /// Creates a collection of `principal`'s with a fresh `vs_…` name, labelled `label`, and adds `fileIDs` to it.
    /// - Throws: `HearthError.notFound` for an unknown file (or another's).
    public func createVectorStore(label: String?, fileIDs: [String], by principal: Principal) async throws -> VectorStore {
        guard principal.key?.collections == nil else { throw Self.keyLimited }
        for fileID in fileIDs { _ = try await file(fileID, by: principal) }
        let name = "vs_" + randomID()
        _ = try await base.ingestor.collection(name, embeddingModel: base.embeddingModel, label: label ?? "", ownerID: principal.ownerID)
        for fileID in fileIDs { try await attach(fileID, to: name, attributes: [:], by: principal) }
        return try await vectorStore(name, by: principal)
    }

    /// Every collection `principal` may read, with its attachments.
    public func vectorStores(by principal: Principal) async throws -> [VectorStore] {
        var stores: [VectorStore] = []
        for collection in try await collections(by: principal) {
            stores.append(VectorStore(collection: collection, attachments: try await base.store.attachments(in: collection.name)))
        }
        return stores
    }

    /// - Throws: `HearthError.notFound` for an unknown collection, or one `principal` may not read.
    public func vectorStore(_ name: String, by principal: Principal) async throws -> VectorStore {
        let collection = try await readable(name, by: principal)
        return VectorStore(collection: collection, attachments: try await base.store.attachments(in: name))
    }

    /// Gives the collection a new label.
    /// - Throws: `HearthError.notFound` for an unknown collection (or another's), `.forbidden` for a shared one.
    public func relabel(_ name: String, label: String, by principal: Principal) async throws -> VectorStore {
        _ = try await changeable(name, by: principal)
        try await base.store.relabelCollection(name, label: label)
        return try await vectorStore(name, by: principal)
    }

    /// Records the file as being added to the collection and queues its ingestion; its
    /// status says when it is searchable.
    /// - Throws: `HearthError.notFound` for an unknown file or collection (or another's);
    ///   `.forbidden` for a collection shared with `principal` to read only.
    @discardableResult
    public func attach(_ fileID: String, to collection: String, attributes: [String: String], by principal: Principal) async throws
        -> FileAttachment
    {
        _ = try await changeable(collection, by: principal)
        let file = try await file(fileID, by: principal)
        let attachment = FileAttachment(fileID: fileID, collection: collection, bytes: file.bytes, attributes: attributes)
        try await base.store.putAttachment(attachment)
        base.uploads.submit(UploadQueue.Work(fileID: fileID, collection: collection))
        return attachment
    }

    /// The collection's attachments, only those of `status` when it is given.
    /// - Throws: `HearthError.notFound` for a collection `principal` may not read.
    public func attachments(in collection: String, status: String? = nil, by principal: Principal) async throws -> [FileAttachment] {
        _ = try await readable(collection, by: principal)
        let attachments = try await base.store.attachments(in: collection)
        return status.map { status in attachments.filter { $0.status.rawValue == status } } ?? attachments
    }

    /// - Throws: `HearthError.notFound` when the file is not in the collection, or the collection is another's.
    public func attachment(_ fileID: String, in collection: String, by principal: Principal) async throws -> FileAttachment {
        _ = try await readable(collection, by: principal)
        guard let attachment = try await base.store.attachment(fileID: fileID, in: collection) else { throw Self.fileNotFound(fileID) }
        return attachment
    }

    /// Removes the file and its chunks from the collection (the upload stays).
    /// - Throws: `HearthError.notFound` when the file is not in the collection, or the collection is another's.
    public func detach(_ fileID: String, from collection: String, by principal: Principal) async throws {
        _ = try await changeable(collection, by: principal)
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
    public func addBatch(_ files: [(fileID: String, attributes: [String: String])], to collection: String, by principal: Principal)
        async throws -> Batch
    {
        guard !files.isEmpty else { throw HearthError.invalidRequest("'file_ids' or 'files' is required", field: "file_ids") }
        _ = try await changeable(collection, by: principal)
        for (fileID, _) in files { _ = try await file(fileID, by: principal) }
        for (fileID, attributes) in files { try await attach(fileID, to: collection, attributes: attributes, by: principal) }
        let batch = FileBatch(id: "vsfb_" + randomID(), collection: collection, fileIDs: files.map(\.fileID))
        try await base.store.putFileBatch(batch)
        return try await members(of: batch)
    }

    /// - Throws: `HearthError.notFound` for an unknown batch, or another's collection.
    public func batch(_ id: String, in collection: String, by principal: Principal) async throws -> Batch {
        _ = try await readable(collection, by: principal)
        guard let batch = try await base.store.fileBatch(id, in: collection) else {
            throw HearthError(.notFound, "file batch '\(id.prefix(80))' not found")
        }
        return try await members(of: batch)
    }

    /// Cancels the batch's files that wait for ingestion.
    /// - Throws: `HearthError.notFound` for an unknown batch.
    public func cancelBatch(_ id: String, in collection: String, by principal: Principal) async throws -> Batch {
        _ = try await changeable(collection, by: principal)
        let batch = try await batch(id, in: collection, by: principal).batch
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
        _ queries: [String], in collection: String, k: Int, filter: SearchFilter, threshold: Double?, by principal: Principal
    ) async throws -> [SearchHit] {
        guard !queries.isEmpty else { throw HearthError.invalidRequest("'query' must not be empty", field: "query") }
        guard (1...50).contains(k) else { throw HearthError.invalidRequest("'max_num_results' must be 1 to 50", field: "max_num_results") }
        let hits = try await search(
            RetrievalQuery(text: queries.joined(separator: " "), collections: [collection], k: k, filter: filter), by: principal)
        return threshold.map { threshold in hits.filter { ($0.similarity ?? $0.score) >= threshold } } ?? hits
    }

    static func fileNotFound(_ id: String) -> HearthError {
        HearthError(.notFound, "file '\(id.prefix(80))' not found", field: "file_id")
    }
}
