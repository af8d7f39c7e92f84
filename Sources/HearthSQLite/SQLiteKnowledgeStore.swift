import Foundation
import GRDB
import HearthCore
import HearthVectors
import Synchronization

/// The embedded knowledge store: one SQLite database in WAL mode (the store of record:
/// documents, chunks with their vectors, an FTS5 index, jobs, uploaded files) and one HNSW
/// index file per collection, which catches up with the database by chunk id and is rebuilt
/// from it when missing. Several processes may use one database: each index catches up
/// before it answers.
public final class SQLiteKnowledgeStore: KnowledgeStore {
    let pool: DatabasePool
    let indexFolder: URL
    let indexParameters: HNSWIndex.Parameters
    let indexes = Mutex<[Int64: IndexSlot]>([:])

    /// Opens (creating and migrating) the database at `path`.
    /// - Throws: `HearthError.internalError` when it cannot be opened or migrated.
    public init(path: URL, indexFolder: URL, indexParameters: HNSWIndex.Parameters = HNSWIndex.Parameters()) throws {
        self.indexFolder = indexFolder
        self.indexParameters = indexParameters
        do {
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
            var configuration = GRDB.Configuration()
            configuration.busyMode = .timeout(30)
            pool = try DatabasePool(path: path.path, configuration: configuration)
            try Schema.migrator.migrate(pool)
        } catch {
            throw HearthError(.internalError, "cannot open the knowledge base", detail: "\(path.path): \(Self.reason(error))")
        }
    }

    /// Opens the store at the configured paths.
    public convenience init(paths: Paths) throws {
        try self.init(path: paths.knowledge, indexFolder: paths.vectorIndexes)
    }

    // MARK: - Collections

    public func createCollection(_ collection: KnowledgeCollection) async throws -> KnowledgeCollection {
        try KnowledgeCollection.validate(name: collection.name)
        guard collection.dimensions > 0 else { throw HearthError.invalidRequest("a collection needs a vector length above 0") }
        try await write { db in
            if try Int.fetchOne(db, sql: "SELECT 1 FROM collections WHERE name = ?", arguments: [collection.name]) != nil {
                throw HearthError.invalidRequest("collection '\(collection.name)' already exists", field: "collection")
            }
            try db.execute(
                sql: "INSERT INTO collections (name, label, embedding_model, dimensions, created_at, owner_id) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    collection.name, collection.label, collection.embeddingModel, collection.dimensions,
                    collection.createdAt.timeIntervalSince1970, collection.ownerID,
                ])
            try Self.setShares(db, collectionID: db.lastInsertedRowID, collection.sharedWith)
        }
        return try await self.collection(collection.name) ?? collection
    }

    public func collection(_ name: String, counted: Bool) async throws -> KnowledgeCollection? {
        try await read { db in
            guard !counted else { return try Self.fetchCollections(db, name: name).first }
            return try Row.fetchOne(
                db,
                sql:
                    "SELECT name, label, embedding_model, dimensions, created_at, owner_id, \(Self.sharesColumn) FROM collections c WHERE name = ?",
                arguments: [name]
            ).map(Self.collection)
        }
    }

    public func collections() async throws -> [KnowledgeCollection] {
        try await read { db in try Self.fetchCollections(db, name: nil) }
    }

    public func relabelCollection(_ name: String, label: String?) async throws {
        try await write { db in
            _ = try Self.collectionID(db, name)
            try db.execute(sql: "UPDATE collections SET label = ? WHERE name = ?", arguments: [label, name])
        }
    }

    public func shareCollection(_ name: String, with userIDs: [Int64]) async throws {
        try await write { db in try Self.setShares(db, collectionID: try Self.collectionID(db, name), userIDs) }
    }

    private static func setShares(_ db: Database, collectionID: Int64, _ userIDs: [Int64]) throws {
        try db.execute(sql: "DELETE FROM collection_shares WHERE collection_id = ?", arguments: [collectionID])
        for userID in Set(userIDs) {
            try db.execute(sql: "INSERT INTO collection_shares (collection_id, user_id) VALUES (?, ?)", arguments: [collectionID, userID])
        }
    }

    /// The user ids a collection `c` is shared with, comma-separated, as a column.
    private static let sharesColumn = "(SELECT group_concat(s.user_id) FROM collection_shares s WHERE s.collection_id = c.id) AS shares"

    public func deleteCollection(_ name: String) async throws -> Bool {
        let id: Int64? = try await write { db in
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM collections WHERE name = ?", arguments: [name]) else { return nil }
            try db.execute(sql: "DELETE FROM collections WHERE id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM chunk_deletions WHERE collection_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM jobs WHERE collection = ?", arguments: [name])
            return id
        }
        guard let id else { return false }
        _ = indexes.withLock { $0.removeValue(forKey: id) }
        try? FileManager.default.removeItem(at: indexFile(id))
        return true
    }

    private static func fetchCollections(_ db: Database, name: String?) throws -> [KnowledgeCollection] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT c.name, c.label, c.embedding_model, c.dimensions, c.created_at, c.owner_id, \(sharesColumn),
                  (SELECT count(*) FROM documents d WHERE d.collection_id = c.id) AS documents,
                  (SELECT count(*) FROM chunks k WHERE k.collection_id = c.id) AS chunks,
                  (SELECT coalesce(sum(d.bytes), 0) FROM documents d WHERE d.collection_id = c.id) AS bytes
                FROM collections c WHERE ? IS NULL OR c.name = ? ORDER BY c.name
                """, arguments: [name, name])
        return rows.map(collection)
    }

    /// A collection from a row of `collections`, with the counts when the row has them.
    private static func collection(_ row: Row) -> KnowledgeCollection {
        KnowledgeCollection(
            name: row["name"], label: row["label"], embeddingModel: row["embedding_model"], dimensions: row["dimensions"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]), documents: row["documents"] ?? 0, chunks: row["chunks"] ?? 0,
            bytes: row["bytes"] ?? 0, ownerID: row["owner_id"],
            sharedWith: ((row["shares"] as String?) ?? "").split(separator: ",").compactMap { Int64($0) }.sorted())
    }

    static func collectionID(_ db: Database, _ name: String) throws -> Int64 {
        try collectionRow(db, name).0
    }

    // MARK: - Documents

    public func documents(in collection: String) async throws -> [StoredDocument] {
        try await read { db in
            let id = try Self.collectionID(db, collection)
            return try Self.fetchDocuments(db, collection: collection, sql: "d.collection_id = ?", arguments: [id])
        }
    }

    public func chunkTexts(ofDocument id: Int64) async throws -> [String] {
        try await read { db in
            try String.fetchAll(db, sql: "SELECT text FROM chunks WHERE document_id = ? ORDER BY ordinal", arguments: [id])
        }
    }

    /// How many documents a collection holds, read synchronously: for watching a store from
    /// a thread of its own (0 when the collection does not exist yet).
    /// - Throws: `HearthError.internalError` when the database cannot be read.
    public func documentCount(in collection: String) throws -> Int {
        do {
            return try pool.read { db in
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM documents d JOIN collections c ON c.id = d.collection_id WHERE c.name = ?",
                    arguments: [collection]) ?? 0
            }
        } catch {
            throw HearthError(.internalError, "the knowledge base failed to read", detail: Self.reason(error))
        }
    }

    public func document(in collection: String, path: String) async throws -> StoredDocument? {
        try await read { db in
            let id = try Self.collectionID(db, collection)
            return try Self.fetchDocuments(db, collection: collection, sql: "d.collection_id = ? AND d.path = ?", arguments: [id, path])
                .first
        }
    }

    private static func fetchDocuments(_ db: Database, collection: String, sql condition: String, arguments: StatementArguments) throws
        -> [StoredDocument]
    {
        try Row.fetchAll(
            db,
            sql: """
                SELECT d.*, (SELECT count(*) FROM chunks k WHERE k.document_id = d.id) AS chunk_count
                FROM documents d WHERE \(condition) ORDER BY d.path
                """, arguments: arguments
        ).map { row in
            StoredDocument(
                id: row["id"], collection: collection, path: row["path"], contentHash: row["content_hash"], bytes: row["bytes"],
                version: row["version"], chunks: row["chunk_count"], metadata: decodeMetadata(row["metadata"]), fileID: row["file_id"],
                updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
        }
    }

    public func putDocument(_ draft: DocumentDraft, in collection: String) async throws -> StoredDocument {
        guard draft.chunks.count == draft.vectors.count else {
            throw HearthError(.internalError, "\(draft.chunks.count) chunks but \(draft.vectors.count) vectors for \(draft.path)")
        }
        let (collectionID, stored): (Int64, StoredDocument) = try await write { db in
            let (collectionID, dimensions) = try Self.collectionRow(db, collection)
            for vector in draft.vectors { try VectorMath.check(vector, dimensions: dimensions) }
            let previous = try Int.fetchOne(
                db, sql: "SELECT version FROM documents WHERE collection_id = ? AND path = ?", arguments: [collectionID, draft.path])
            if previous != nil {
                try db.execute(sql: "DELETE FROM documents WHERE collection_id = ? AND path = ?", arguments: [collectionID, draft.path])
            }
            let version = (previous ?? 0) + 1
            let updatedAt = Date().timeIntervalSince1970
            try db.execute(
                sql: """
                    INSERT INTO documents (collection_id, path, content_hash, bytes, version, metadata, file_id, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    collectionID, draft.path, draft.contentHash, draft.bytes, version, Self.encodeMetadata(draft.metadata), draft.fileID,
                    updatedAt,
                ])
            let documentID = db.lastInsertedRowID
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO chunks (document_id, collection_id, ordinal, text, heading, line_start, line_end, page_start, page_end, vector)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for (ordinal, (chunk, vector)) in zip(draft.chunks, draft.vectors).enumerated() {
                try insert.execute(arguments: [
                    documentID, collectionID, ordinal, chunk.text, chunk.heading, chunk.location.lineStart, chunk.location.lineEnd,
                    chunk.location.pageStart, chunk.location.pageEnd, Self.blob(vector),
                ])
            }
            let stored = StoredDocument(
                id: documentID, collection: collection, path: draft.path, contentHash: draft.contentHash, bytes: draft.bytes,
                version: version, chunks: draft.chunks.count, metadata: draft.metadata, fileID: draft.fileID,
                updatedAt: Date(timeIntervalSince1970: updatedAt))
            return (collectionID, stored)
        }
        try await index(collectionID)
        return stored
    }

    public func deleteDocument(in collection: String, path: String) async throws -> Bool {
        let (collectionID, deleted): (Int64, Bool) = try await write { db in
            let id = try Self.collectionID(db, collection)
            try db.execute(sql: "DELETE FROM documents WHERE collection_id = ? AND path = ?", arguments: [id, path])
            return (id, db.changesCount > 0)
        }
        if deleted { try await index(collectionID) }
        return deleted
    }

    static func collectionRow(_ db: Database, _ name: String) throws -> (Int64, Int) {
        guard let row = try Row.fetchOne(db, sql: "SELECT id, dimensions FROM collections WHERE name = ?", arguments: [name]) else {
            throw KnowledgeCollection.notFound(name)
        }
        return (row["id"], row["dimensions"])
    }

    // MARK: - Helpers

    func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do { return try await pool.read(body) } catch let error as HearthError { throw error } catch {
            throw HearthError(.internalError, "the knowledge base failed to read", detail: Self.reason(error))
        }
    }

    func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do { return try await pool.write(body) } catch let error as HearthError { throw error } catch {
            throw HearthError(.internalError, "the knowledge base failed to write", detail: Self.reason(error))
        }
    }

    /// An error's reason without the SQL that caused it.
    static func reason(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "SQLite error \(error.resultCode)" }
        return "\(error)"
    }

    static func blob(_ vector: [Float]) -> Data {
        vector.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    static func vector(_ blob: Data) -> [Float] {
        blob.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
        }
    }

    static func encodeMetadata(_ metadata: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: metadata, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func decodeMetadata(_ text: String?) -> [String: String] {
        guard let text, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
        return object.compactMapValues { $0 as? String }
    }
}
