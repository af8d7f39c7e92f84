import Foundation
import HearthCore
import PostgresNIO

extension PostgresKnowledgeStore {
    // MARK: - Jobs

    public func createJob(_ job: IngestionJob) async throws -> IngestionJob {
        try await database.transaction(Self.what) { connection in
            var job = job
            job.id = try await PostgresDatabase.rows(
                "SELECT nextval(pg_get_serial_sequence('jobs', 'id')) AS id", on: connection, logger: logger)[0].get("id")
            try await PostgresDatabase.execute(
                """
                INSERT INTO jobs (id, collection, status, body, updated_at)
                VALUES (\(job.id), \(job.collection), \(job.status.rawValue), \(try Self.json(job)), \(job.updatedAt.timeIntervalSince1970))
                """, on: connection, logger: logger)
            return job
        }
    }

    public func updateJob(_ job: IngestionJob) async throws {
        var updated = job
        updated.updatedAt = Date()
        try await database.execute(
            """
            UPDATE jobs SET status = \(updated.status.rawValue), body = \(try Self.json(updated)),
              updated_at = \(updated.updatedAt.timeIntervalSince1970) WHERE id = \(updated.id)
            """, Self.what)
    }

    public func jobs(in collection: String?) async throws -> [IngestionJob] {
        var statement = Statement("SELECT body FROM jobs")
        if let collection { statement += " WHERE collection = \(try statement.bind(collection))" }
        statement += " ORDER BY id DESC"
        return try await database.rows(statement.query, Self.what).compactMap {
            try? JSONDecoder().decode(IngestionJob.self, from: Data(try $0.get("body", as: String.self).utf8))
        }
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    // MARK: - Files

    public func putFile(_ file: StoredFile, content: Data) async throws {
        try await database.execute(
            """
            INSERT INTO files (id, filename, purpose, bytes, created_at, content, owner_id)
            VALUES (\(file.id), \(file.filename), \(file.purpose), \(file.bytes), \(file.createdAt.timeIntervalSince1970), \(content),
              \(file.ownerID))
            ON CONFLICT (id) DO UPDATE SET filename = excluded.filename, purpose = excluded.purpose, bytes = excluded.bytes,
              created_at = excluded.created_at, content = excluded.content, owner_id = excluded.owner_id
            """, Self.what)
    }

    public func file(_ id: String) async throws -> StoredFile? {
        try await database.rows("SELECT \(unescaped: Self.fileColumns) FROM files WHERE id = \(id)", Self.what).first.map(Self.file)
    }

    public func fileContent(_ id: String) async throws -> Data? {
        try await database.rows("SELECT content FROM files WHERE id = \(id)", Self.what).first?.get("content")
    }

    public func files() async throws -> [StoredFile] {
        try await database.rows("SELECT \(unescaped: Self.fileColumns) FROM files ORDER BY created_at DESC, id", Self.what).map(Self.file)
    }

    public func deleteFile(_ id: String) async throws -> Bool {
        try await database.execute("DELETE FROM files WHERE id = \(id) RETURNING 1", Self.what) > 0
    }

    private static let fileColumns = "id, filename, purpose, bytes, created_at, owner_id"

    private static func file(_ row: PostgresRandomAccessRow) throws -> StoredFile {
        StoredFile(
            id: try row.get("id"), filename: try row.get("filename"), purpose: try row.get("purpose"), bytes: try row.get("bytes"),
            createdAt: Date(timeIntervalSince1970: try row.get("created_at")), ownerID: try row.get("owner_id"))
    }

    // MARK: - Attachments

    public func putAttachment(_ attachment: FileAttachment) async throws {
        let id = try await collectionRow(attachment.collection).id
        try await database.execute(
            """
            INSERT INTO attachments (collection_id, file_id, status, error, bytes, attributes, created_at)
            VALUES (\(id), \(attachment.fileID), \(attachment.status.rawValue), \(attachment.error), \(attachment.bytes),
              \(Self.encodeMap(attachment.attributes))::jsonb, \(attachment.createdAt.timeIntervalSince1970))
            ON CONFLICT (collection_id, file_id) DO UPDATE SET status = excluded.status, error = excluded.error,
              bytes = excluded.bytes, attributes = excluded.attributes, created_at = excluded.created_at
            """, Self.what)
    }

    public func attachments(in collection: String) async throws -> [FileAttachment] {
        let id = try await collectionRow(collection).id
        return try await database.rows(
            """
            SELECT \(unescaped: Self.attachmentColumns) FROM attachments WHERE collection_id = \(id) ORDER BY created_at DESC, file_id
            """, Self.what
        ).map { try Self.attachment($0, in: collection) }
    }

    public func attachment(fileID: String, in collection: String) async throws -> FileAttachment? {
        let id = try await collectionRow(collection).id
        return try await database.rows(
            "SELECT \(unescaped: Self.attachmentColumns) FROM attachments WHERE collection_id = \(id) AND file_id = \(fileID)", Self.what
        ).first.map { try Self.attachment($0, in: collection) }
    }

    private static let attachmentColumns = "file_id, status, error, bytes, attributes::text AS attributes, created_at"

    private static func attachment(_ row: PostgresRandomAccessRow, in collection: String) throws -> FileAttachment {
        FileAttachment(
            fileID: try row.get("file_id"), collection: collection,
            status: FileAttachment.Status(rawValue: try row.get("status")) ?? .failed, error: try row.get("error"),
            bytes: try row.get("bytes"), attributes: decodeMap(try row.get("attributes")),
            createdAt: Date(timeIntervalSince1970: try row.get("created_at")))
    }

    public func deleteAttachment(fileID: String, in collection: String) async throws -> Bool {
        try await database.transaction(Self.what) { connection in
            let id = try await Self.collectionRow(connection, collection, logger: logger).id
            try await Self.lockForWriting(id, connection, logger: logger)
            let deleted = try await PostgresDatabase.execute(
                "DELETE FROM attachments WHERE collection_id = \(id) AND file_id = \(fileID) RETURNING 1", on: connection, logger: logger)
            try await PostgresDatabase.execute(
                "DELETE FROM documents WHERE collection_id = \(id) AND file_id = \(fileID)", on: connection, logger: logger)
            return deleted > 0
        }
    }

    public func cancelAttachments(fileIDs: [String], in collection: String) async throws {
        let id = try await collectionRow(collection).id
        try await database.execute(
            """
            UPDATE attachments SET status = 'cancelled'
            WHERE collection_id = \(id) AND file_id = ANY(\(fileIDs)::text[]) AND status = 'in_progress'
            """, Self.what)
    }

    public func putFileBatch(_ batch: FileBatch) async throws {
        let id = try await collectionRow(batch.collection).id
        try await database.execute(
            """
            INSERT INTO file_batches (id, collection_id, file_ids, created_at)
            VALUES (\(batch.id), \(id), \(try Self.json(batch.fileIDs))::jsonb, \(batch.createdAt.timeIntervalSince1970))
            ON CONFLICT (id) DO UPDATE SET collection_id = excluded.collection_id, file_ids = excluded.file_ids,
              created_at = excluded.created_at
            """, Self.what)
    }

    public func fileBatch(_ id: String, in collection: String) async throws -> FileBatch? {
        let collectionID = try await collectionRow(collection).id
        guard
            let row = try await database.rows(
                "SELECT file_ids::text AS file_ids, created_at FROM file_batches WHERE id = \(id) AND collection_id = \(collectionID)",
                Self.what
            ).first
        else { return nil }
        let fileIDs = try JSONDecoder().decode([String].self, from: Data(try row.get("file_ids", as: String.self).utf8))
        return FileBatch(
            id: id, collection: collection, fileIDs: fileIDs, createdAt: Date(timeIntervalSince1970: try row.get("created_at")))
    }
}
