import Foundation
import GRDB
import HearthCore

extension SQLiteKnowledgeStore {
    // MARK: - Jobs

    public func createJob(_ job: IngestionJob) async throws -> IngestionJob {
        try await write { db in
            var job = job
            try db.execute(
                sql: "INSERT INTO jobs (collection, status, body, updated_at) VALUES (?, ?, '{}', ?)",
                arguments: [job.collection, job.status.rawValue, job.updatedAt.timeIntervalSince1970])
            job.id = db.lastInsertedRowID
            try db.execute(sql: "UPDATE jobs SET body = ? WHERE id = ?", arguments: [try Self.json(job), job.id])
            return job
        }
    }

    public func updateJob(_ job: IngestionJob) async throws {
        var updated = job
        updated.updatedAt = Date()
        let body = try Self.json(updated)
        let (status, time, id) = (updated.status.rawValue, updated.updatedAt.timeIntervalSince1970, updated.id)
        try await write { db in
            try db.execute(sql: "UPDATE jobs SET status = ?, body = ?, updated_at = ? WHERE id = ?", arguments: [status, body, time, id])
        }
    }

    public func jobs(in collection: String?) async throws -> [IngestionJob] {
        try await read { db in
            try String.fetchAll(
                db, sql: "SELECT body FROM jobs WHERE ? IS NULL OR collection = ? ORDER BY id DESC", arguments: [collection, collection]
            ).compactMap { try? JSONDecoder().decode(IngestionJob.self, from: Data($0.utf8)) }
        }
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    // MARK: - Files

    public func putFile(_ file: StoredFile, content: Data) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO files (id, filename, purpose, bytes, created_at, content, owner_id) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [file.id, file.filename, file.purpose, file.bytes, file.createdAt.timeIntervalSince1970, content, file.ownerID])
        }
    }

    public func file(_ id: String) async throws -> StoredFile? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT id, filename, purpose, bytes, created_at, owner_id FROM files WHERE id = ?", arguments: [id])
                .map(
                    Self.file)
        }
    }

    public func fileContent(_ id: String) async throws -> Data? {
        try await read { db in try Data.fetchOne(db, sql: "SELECT content FROM files WHERE id = ?", arguments: [id]) }
    }

    public func files() async throws -> [StoredFile] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT id, filename, purpose, bytes, created_at, owner_id FROM files ORDER BY created_at DESC, id")
                .map(
                    Self.file)
        }
    }

    public func deleteFile(_ id: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM files WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    private static func file(_ row: Row) -> StoredFile {
        StoredFile(
            id: row["id"], filename: row["filename"], purpose: row["purpose"], bytes: row["bytes"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]), ownerID: row["owner_id"])
    }

    // MARK: - Attachments

    public func putAttachment(_ attachment: FileAttachment) async throws {
        try await write { db in
            let id = try Self.collectionID(db, attachment.collection)
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO attachments (collection_id, file_id, status, error, bytes, attributes, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    id, attachment.fileID, attachment.status.rawValue, attachment.error, attachment.bytes,
                    Self.encodeMetadata(attachment.attributes), attachment.createdAt.timeIntervalSince1970,
                ])
        }
    }

    public func attachments(in collection: String) async throws -> [FileAttachment] {
        try await read { db in
            let id = try Self.collectionID(db, collection)
            return try Row.fetchAll(
                db, sql: "SELECT * FROM attachments WHERE collection_id = ? ORDER BY created_at DESC, file_id", arguments: [id]
            ).map { Self.attachment($0, in: collection) }
        }
    }

    public func attachment(fileID: String, in collection: String) async throws -> FileAttachment? {
        try await read { db in
            let id = try Self.collectionID(db, collection)
            return try Row.fetchOne(db, sql: "SELECT * FROM attachments WHERE collection_id = ? AND file_id = ?", arguments: [id, fileID])
                .map { Self.attachment($0, in: collection) }
        }
    }

    private static func attachment(_ row: Row, in collection: String) -> FileAttachment {
        FileAttachment(
            fileID: row["file_id"], collection: collection, status: FileAttachment.Status(rawValue: row["status"]) ?? .failed,
            error: row["error"], bytes: row["bytes"], attributes: decodeMetadata(row["attributes"]),
            createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    public func deleteAttachment(fileID: String, in collection: String) async throws -> Bool {
        let (collectionID, deleted): (Int64, Bool) = try await write { db in
            let id = try Self.collectionID(db, collection)
            try db.execute(sql: "DELETE FROM attachments WHERE collection_id = ? AND file_id = ?", arguments: [id, fileID])
            let deleted = db.changesCount > 0
            try db.execute(sql: "DELETE FROM documents WHERE collection_id = ? AND file_id = ?", arguments: [id, fileID])
            return (id, deleted)
        }
        try await index(collectionID)
        return deleted
    }

    public func cancelAttachments(fileIDs: [String], in collection: String) async throws {
        try await write { db in
            let id = try Self.collectionID(db, collection)
            let update = try db.cachedStatement(
                sql: "UPDATE attachments SET status = 'cancelled' WHERE collection_id = ? AND file_id = ? AND status = 'in_progress'")
            for fileID in fileIDs { try update.execute(arguments: [id, fileID]) }
        }
    }

    public func putFileBatch(_ batch: FileBatch) async throws {
        try await write { db in
            let id = try Self.collectionID(db, batch.collection)
            try db.execute(
                sql: "INSERT OR REPLACE INTO file_batches (id, collection_id, file_ids, created_at) VALUES (?, ?, ?, ?)",
                arguments: [
                    batch.id, id, String(decoding: try JSONEncoder().encode(batch.fileIDs), as: UTF8.self),
                    batch.createdAt.timeIntervalSince1970,
                ])
        }
    }

    public func fileBatch(_ id: String, in collection: String) async throws -> FileBatch? {
        try await read { db in
            let collectionID = try Self.collectionID(db, collection)
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT file_ids, created_at FROM file_batches WHERE id = ? AND collection_id = ?",
                    arguments: [id, collectionID])
            else { return nil }
            let fileIDs = try JSONDecoder().decode([String].self, from: Data((row["file_ids"] as String).utf8))
            return FileBatch(
                id: id, collection: collection, fileIDs: fileIDs, createdAt: Date(timeIntervalSince1970: row["created_at"]))
        }
    }
}
