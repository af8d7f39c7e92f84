import Foundation
import GRDB
import HearthCore

/// Backups of the embedded store: the database copied with SQLite's online backup API (a
/// consistent copy while the server writes), and the rows counted in the copy.
extension SQLiteKnowledgeStore {
    /// Copies the database into a new file at `file` and returns how many rows each of
    /// `tables` has in the copy.
    /// - Throws: `HearthError.internalError` when the copy cannot be made.
    public func backup(to file: URL, counting tables: [String]) async throws -> [String: Int] {
        try await onOwnThread("hearth-backup") {
            do {
                let copy = try DatabaseQueue(path: file.path)
                try self.pool.backup(to: copy)
                let counts = try copy.read { db in try Self.counts(tables, in: db) }
                try copy.close()
                return counts
            } catch {
                throw HearthError(.internalError, "cannot copy the knowledge base", detail: "\(file.path): \(Self.reason(error))")
            }
        }
    }

    /// How many rows each of `tables` has now.
    public func counts(of tables: [String]) async throws -> [String: Int] {
        try await onOwnThread("hearth-backup") { try self.pool.read { db in try Self.counts(tables, in: db) } }
    }

    private static func counts(_ tables: [String], in db: Database) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in tables {
            // Table names come from the caller's fixed list, never from a request.
            precondition(table.allSatisfy { $0.isLetter || $0 == "_" })
            counts[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
        }
        return counts
    }
}
