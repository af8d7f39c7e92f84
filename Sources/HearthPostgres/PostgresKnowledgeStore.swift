import Foundation
import HearthCore
import Logging
import PostgresNIO

/// The knowledge base on PostgreSQL: the same collections, documents, chunks, jobs and files
/// as `SQLiteKnowledgeStore`, with vectors in pgvector (an HNSW index per collection, kept by
/// the database) and words in a `tsvector` column. Every replica of a scale-out deployment
/// sees the same store; there is no index file to keep.
public final class PostgresKnowledgeStore: KnowledgeStore {
    let database: PostgresDatabase
    var logger: Logger { database.logger }
    static let what = "the knowledge base"

    /// The knowledge tables of `database`.
    public init(_ database: PostgresDatabase) {
        self.database = database
    }

    // MARK: - Collections

    public func createCollection(_ collection: KnowledgeCollection) async throws -> KnowledgeCollection {
        try KnowledgeCollection.validate(name: collection.name)
        guard collection.dimensions > 0 else { throw HearthError.invalidRequest("a collection needs a vector length above 0") }
        try await database.transaction(Self.what) { connection in
            // One creation of a name at a time, across replicas.
            try await PostgresDatabase.execute(
                "SELECT pg_advisory_xact_lock(hashtext(\("collection:" + collection.name)))", on: connection, logger: logger)
            let existing = try await PostgresDatabase.rows(
                "SELECT 1 FROM collections WHERE name = \(collection.name)", on: connection, logger: logger)
            guard existing.isEmpty else {
                throw HearthError.invalidRequest("collection '\(collection.name)' already exists", field: "collection")
            }
            let rows = try await PostgresDatabase.rows(
                """
                INSERT INTO collections (name, label, embedding_model, dimensions, created_at, owner_id)
                VALUES (\(collection.name), \(collection.label), \(collection.embeddingModel), \(collection.dimensions),
                  \(collection.createdAt.timeIntervalSince1970), \(collection.ownerID))
                RETURNING id
                """, on: connection, logger: logger)
            let id = try rows[0].get("id", as: Int64.self)
            try await Self.setShares(connection, collectionID: id, collection.sharedWith, logger: logger)
            // pgvector indexes vectors of up to 2,000 dimensions; longer ones are searched exactly.
            if collection.dimensions <= 2000 {
                try await PostgresDatabase.execute(
                    PostgresQuery(
                        unsafeSQL: """
                            CREATE INDEX \(Self.vectorIndex(id)) ON chunks
                            USING hnsw ((embedding::vector(\(collection.dimensions))) vector_cosine_ops) WHERE collection_id = \(id)
                            """), on: connection, logger: logger)
            }
        }
        return try await self.collection(collection.name) ?? collection
    }

    /// The name of a collection's HNSW index.
    static func vectorIndex(_ collectionID: Int64) -> String { "chunks_vectors_\(collectionID)" }

    public func collection(_ name: String, counted: Bool) async throws -> KnowledgeCollection? {
        try await fetchCollections(name: name, counted: counted).first
    }

    public func collections() async throws -> [KnowledgeCollection] {
        try await fetchCollections(name: nil, counted: true)
    }

    public func relabelCollection(_ name: String, label: String?) async throws {
        let changed = try await database.execute("UPDATE collections SET label = \(label) WHERE name = \(name) RETURNING 1", Self.what)
        if changed == 0 { throw KnowledgeCollection.notFound(name) }
    }

    public func shareCollection(_ name: String, with userIDs: [Int64]) async throws {
        try await database.transaction(Self.what) { connection in
            let id = try await Self.collectionRow(connection, name, logger: logger).id
            try await Self.setShares(connection, collectionID: id, userIDs, logger: logger)
        }
    }

    private static func setShares(_ connection: PostgresConnection, collectionID: Int64, _ userIDs: [Int64], logger: Logger) async throws {
        try await PostgresDatabase.execute(
            "DELETE FROM collection_shares WHERE collection_id = \(collectionID)", on: connection, logger: logger)
        guard !userIDs.isEmpty else { return }
        try await PostgresDatabase.execute(
            """
            INSERT INTO collection_shares (collection_id, user_id) SELECT \(collectionID), u FROM unnest(\(Array(Set(userIDs)))::bigint[]) AS u
            """, on: connection, logger: logger)
    }

    public func deleteCollection(_ name: String) async throws -> Bool {
        try await database.transaction(Self.what) { connection in
            let rows = try await PostgresDatabase.rows(
                "DELETE FROM collections WHERE name = \(name) RETURNING id", on: connection, logger: logger)
            guard let row = rows.first else { return false }
            let id = try row.get("id", as: Int64.self)
            try await PostgresDatabase.execute(
                PostgresQuery(unsafeSQL: "DROP INDEX IF EXISTS \(Self.vectorIndex(id))"), on: connection, logger: logger)
            try await PostgresDatabase.execute("DELETE FROM chunk_terms WHERE collection_id = \(id)", on: connection, logger: logger)
            try await PostgresDatabase.execute("DELETE FROM jobs WHERE collection = \(name)", on: connection, logger: logger)
            return true
        }
    }

    private func fetchCollections(name: String?, counted: Bool) async throws -> [KnowledgeCollection] {
        let counts =
            counted
            ? """
            , (SELECT count(*) FROM documents d WHERE d.collection_id = c.id) AS documents,
              coalesce((SELECT t.chunks FROM chunk_terms t WHERE t.collection_id = c.id AND t.lexeme = ''), 0) AS chunks,
              (SELECT coalesce(sum(d.bytes), 0)::bigint FROM documents d WHERE d.collection_id = c.id) AS bytes
            """ : ""
        var statement = Statement(
            """
            SELECT c.name, c.label, c.embedding_model, c.dimensions, c.created_at, c.owner_id,
              ARRAY(SELECT s.user_id FROM collection_shares s WHERE s.collection_id = c.id ORDER BY s.user_id) AS shares\(counts)
            FROM collections c
            """)
        if let name { statement += " WHERE c.name = \(try statement.bind(name))" }
        statement += " ORDER BY c.name"
        return try await database.rows(statement.query, Self.what).map { row in
            KnowledgeCollection(
                name: try row.get("name"), label: try row.get("label"), embeddingModel: try row.get("embedding_model"),
                dimensions: try row.get("dimensions"), createdAt: Date(timeIntervalSince1970: try row.get("created_at")),
                documents: counted ? try row.get("documents") : 0, chunks: counted ? try row.get("chunks") : 0,
                bytes: counted ? try row.get("bytes") : 0, ownerID: try row.get("owner_id"), sharedWith: try row.get("shares"))
        }
    }

    /// A collection's id and vector length.
    /// - Throws: `.notFound` when there is no such collection.
    static func collectionRow(_ connection: PostgresConnection, _ name: String, logger: Logger) async throws -> (id: Int64, dimensions: Int)
    {
        try collectionRow(from: try await PostgresDatabase.rows(collectionQuery(name), on: connection, logger: logger), name)
    }

    /// As `collectionRow(_:_:logger:)`, outside a transaction.
    func collectionRow(_ name: String) async throws -> (id: Int64, dimensions: Int) {
        try Self.collectionRow(from: try await database.rows(Self.collectionQuery(name), Self.what), name)
    }

    private static func collectionQuery(_ name: String) -> PostgresQuery {
        "SELECT id, dimensions FROM collections WHERE name = \(name)"
    }

    private static func collectionRow(from rows: [PostgresRandomAccessRow], _ name: String) throws -> (id: Int64, dimensions: Int) {
        guard let row = rows.first else { throw KnowledgeCollection.notFound(name) }
        return (try row.get("id"), try row.get("dimensions"))
    }

    // MARK: - Documents

    public func documents(in collection: String) async throws -> [StoredDocument] {
        let id = try await collectionRow(collection).id
        return try await fetchDocuments(collection: collection, id: id, path: nil)
    }

    public func document(in collection: String, path: String) async throws -> StoredDocument? {
        let id = try await collectionRow(collection).id
        return try await fetchDocuments(collection: collection, id: id, path: path).first
    }

    public func chunkTexts(ofDocument id: Int64) async throws -> [String] {
        try await database.rows("SELECT text FROM chunks WHERE document_id = \(id) ORDER BY ordinal", Self.what).map { try $0.get("text") }
    }

    private func fetchDocuments(collection: String, id: Int64, path: String?) async throws -> [StoredDocument] {
        var statement = Statement(
            """
            SELECT d.id, d.path, d.content_hash, d.bytes, d.version, d.metadata::text AS metadata, d.file_id, d.updated_at,
              (SELECT count(*) FROM chunks k WHERE k.document_id = d.id) AS chunk_count
            FROM documents d
            """)
        statement += " WHERE d.collection_id = \(try statement.bind(id))"
        if let path { statement += " AND d.path = \(try statement.bind(path))" }
        statement += " ORDER BY d.path"
        return try await database.rows(statement.query, Self.what).map { row in
            StoredDocument(
                id: try row.get("id"), collection: collection, path: try row.get("path"), contentHash: try row.get("content_hash"),
                bytes: try row.get("bytes"), version: try row.get("version"), chunks: try row.get("chunk_count"),
                metadata: Self.decodeMap(try row.get("metadata")), fileID: try row.get("file_id"),
                updatedAt: Date(timeIntervalSince1970: try row.get("updated_at")))
        }
    }

    public func putDocument(_ draft: DocumentDraft, in collection: String) async throws -> StoredDocument {
        guard draft.chunks.count == draft.vectors.count else {
            throw HearthError(.internalError, "\(draft.chunks.count) chunks but \(draft.vectors.count) vectors for \(draft.path)")
        }
        return try await database.transaction(Self.what) { connection in
            let (collectionID, dimensions) = try await Self.collectionRow(connection, collection, logger: logger)
            for vector in draft.vectors { try VectorMath.check(vector, dimensions: dimensions) }
            try await Self.lockForWriting(collectionID, connection, logger: logger)
            let previous = try await PostgresDatabase.rows(
                "DELETE FROM documents WHERE collection_id = \(collectionID) AND path = \(draft.path) RETURNING version", on: connection,
                logger: logger)
            let version = (try previous.first?.get("version", as: Int.self) ?? 0) + 1
            let updatedAt = Date().timeIntervalSince1970
            let inserted = try await PostgresDatabase.rows(
                """
                INSERT INTO documents (collection_id, path, content_hash, bytes, version, metadata, file_id, updated_at)
                VALUES (\(collectionID), \(draft.path), \(draft.contentHash), \(draft.bytes), \(version),
                  \(Self.encodeMap(draft.metadata))::jsonb, \(draft.fileID), \(updatedAt))
                RETURNING id
                """, on: connection, logger: logger)
            let documentID = try inserted[0].get("id", as: Int64.self)
            let rows = Array(zip(draft.chunks, draft.vectors).enumerated())
            // 10 parameters a chunk; PostgreSQL takes at most 65,535 in one statement.
            for start in stride(from: 0, to: rows.count, by: 1000) {
                var statement = Statement(
                    """
                    INSERT INTO chunks (document_id, collection_id, ordinal, text, heading, line_start, line_end, page_start, page_end, embedding)
                    VALUES
                    """)
                for (ordinal, (chunk, vector)) in rows[start..<min(start + 1000, rows.count)] {
                    let location = chunk.location
                    let values = [
                        try statement.bind(documentID), try statement.bind(collectionID), try statement.bind(ordinal),
                        try statement.bind(chunk.text), try statement.bind(chunk.heading), try statement.bind(location.lineStart),
                        try statement.bind(location.lineEnd), try statement.bind(location.pageStart), try statement.bind(location.pageEnd),
                        try statement.bind(Self.vectorText(vector)) + "::vector",
                    ]
                    statement += (ordinal == start ? " (" : ", (") + values.joined(separator: ", ") + ")"
                }
                try await PostgresDatabase.execute(statement.query, on: connection, logger: logger)
            }
            return StoredDocument(
                id: documentID, collection: collection, path: draft.path, contentHash: draft.contentHash, bytes: draft.bytes,
                version: version, chunks: draft.chunks.count, metadata: draft.metadata, fileID: draft.fileID,
                updatedAt: Date(timeIntervalSince1970: updatedAt))
        }
    }

    public func deleteDocument(in collection: String, path: String) async throws -> Bool {
        try await database.transaction(Self.what) { connection in
            let id = try await Self.collectionRow(connection, collection, logger: logger).id
            try await Self.lockForWriting(id, connection, logger: logger)
            return try await PostgresDatabase.execute(
                "DELETE FROM documents WHERE collection_id = \(id) AND path = \(path) RETURNING 1", on: connection, logger: logger) > 0
        }
    }

    /// One writer of a collection's documents at a time, until the transaction ends (as
    /// SQLite has one writer): a path's version goes up by exactly one, and the word
    /// statistics the chunks' triggers keep are never updated by two at once.
    static func lockForWriting(_ collectionID: Int64, _ connection: PostgresConnection, logger: Logger) async throws {
        try await PostgresDatabase.execute("SELECT pg_advisory_xact_lock(\(collectionID))", on: connection, logger: logger)
    }

    /// The database keeps its own indexes: nothing to write.
    public func flush() async throws {}

    // MARK: - Helpers

    /// A vector as pgvector's text form, `[0.1,0.2,…]`.
    static func vectorText(_ vector: [Float]) -> String {
        "[" + vector.map { "\($0)" }.joined(separator: ",") + "]"
    }

    /// A vector from pgvector's text form.
    static func vector(_ text: String) -> [Float] {
        text.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ",").compactMap { Float($0) }
    }

    static func encodeMap(_ map: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? String(decoding: encoder.encode(map), as: UTF8.self)) ?? "{}"
    }

    static func decodeMap(_ text: String?) -> [String: String] {
        guard let text, let map = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) else { return [:] }
        return map
    }
}
