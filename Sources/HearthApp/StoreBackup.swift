import Foundation
import HearthCore
import HearthModels
import HearthPostgres
import HearthSQLite
import Logging

/// `hearth backup FOLDER` and `hearth restore FOLDER`: the whole store, consistent while the
/// server serves, into a new folder, and back into an empty data folder or database.
///
/// A backup folder holds `backup.json` (what it is, when, and how many rows each table had),
/// the model manifests (`models/manifests/…`; the model files themselves are not copied:
/// they can be pulled again), and either the SQLite database (`knowledge.sqlite`, by
/// SQLite's online backup API), the vector index files (`vectors/`, copied before the
/// database, so that they catch up from it) and `server.secret`, or a `pg_dump` of the
/// PostgreSQL database (`hearth.pgdump`). It is written as `FOLDER.partial` and renamed when
/// whole, and is readable by its owner only: it holds the key that API keys are hashed with.
public enum StoreBackup {
    /// `backup.json`.
    public struct Manifest: Codable, Sendable, Equatable {
        public var format = 1
        /// `sqlite` or `postgres`.
        public var backend: String
        public var createdAt: Date
        /// Rows per table, counted in the backed-up snapshot.
        public var counts: [String: Int]
        /// The models installed when it was taken (`name:tag`).
        public var models: [String]

        enum CodingKeys: String, CodingKey {
            case format, backend, counts, models
            case createdAt = "created_at"
        }
    }

    /// What `restore` did.
    public struct Restored: Sendable {
        public var manifest: Manifest
        /// Models of the backup whose files this data folder lacks: pull them again.
        public var missingModels: [String]
    }

    /// The tables whose rows a backup counts and a restore checks.
    static let tables = [
        "collections", "documents", "chunks", "users", "api_keys", "sessions", "usage", "audit", "conversations",
        "conversation_messages", "responses", "files", "jobs",
    ]

    /// Backs up the store `configuration` names into the new folder `folder`.
    /// - Throws: `HearthError.invalidRequest` when `folder` exists; what the store throws.
    public static func backup(_ configuration: Configuration, to folder: URL) async throws -> Manifest {
        let files = FileManager.default
        guard !files.fileExists(atPath: folder.path) else {
            throw HearthError.invalidRequest("\(folder.path) exists already: back up into a new folder")
        }
        let partial = folder.deletingLastPathComponent().appending(path: folder.lastPathComponent + ".partial")
        try? files.removeItem(at: partial)
        do {
            try files.createDirectory(at: partial, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let paths = configuration.paths
            let models = try ModelStore(root: paths.models).list().map(\.name)
            try copyIfPresent(paths.models.appending(path: "manifests"), to: partial.appending(path: "models/manifests"))
            let manifest: Manifest
            if let url = configuration.databaseURL {
                let database = try await PostgresDatabase.connect(to: url)
                defer { database.close() }
                let counts = try await database.dump(to: partial.appending(path: "hearth.pgdump"), url: url, counting: tables)
                manifest = Manifest(backend: "postgres", createdAt: Date(), counts: counts, models: models)
            } else {
                guard files.fileExists(atPath: paths.knowledge.path) else {
                    throw HearthError(.notFound, "there is no store to back up at \(paths.data.path)")
                }
                // The indexes first: older than the database copy, they catch up from it.
                try copyIfPresent(paths.vectorIndexes, to: partial.appending(path: "vectors"))
                try copyIfPresent(paths.serverSecret, to: partial.appending(path: "server.secret"))
                let store = try SQLiteKnowledgeStore(paths: paths)
                let counts = try await store.backup(to: partial.appending(path: "knowledge.sqlite"), counting: tables)
                manifest = Manifest(backend: "sqlite", createdAt: Date(), counts: counts, models: models)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            try encoder.encode(manifest).write(to: partial.appending(path: "backup.json"))
            try files.moveItem(at: partial, to: folder)
            return manifest
        } catch {
            try? files.removeItem(at: partial)
            if let error = error as? HearthError { throw error }
            throw HearthError(.internalError, "the backup failed", detail: "\(folder.path): \(error)")
        }
    }

    /// Restores the backup in `folder` into the store `configuration` names, which must be
    /// empty (a new data folder, or a new database), then counts what it restored.
    /// - Throws: `HearthError.invalidRequest` for a folder that is no backup, a backup of the
    ///   other backend, or a store that is not empty; `.internalError` when the restored
    ///   counts differ from the backup's.
    public static func restore(_ configuration: Configuration, from folder: URL) async throws -> Restored {
        let manifest: Manifest
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            manifest = try decoder.decode(Manifest.self, from: Data(contentsOf: folder.appending(path: "backup.json")))
        } catch {
            throw HearthError.invalidRequest("\(folder.path) is not a Hearth backup (no readable backup.json)")
        }
        guard manifest.format == 1 else {
            throw HearthError.invalidRequest("this backup's format (\(manifest.format)) is newer than Hearth")
        }
        let paths = configuration.paths
        let counts: [String: Int]
        switch (manifest.backend, configuration.databaseURL) {
        case ("postgres", let url?):
            try await PostgresDatabase.restore(from: folder.appending(path: "hearth.pgdump"), url: url)
            let database = try await PostgresDatabase.connect(to: url)
            defer { database.close() }
            counts = try await database.counts(of: tables)
        case ("sqlite", nil):
            let files = FileManager.default
            // A stray write-ahead log would be replayed into the restored database.
            let existing = [paths.knowledge.path, paths.knowledge.path + "-wal", paths.knowledge.path + "-shm", paths.serverSecret.path]
            guard !existing.contains(where: files.fileExists(atPath:)) else {
                throw HearthError.invalidRequest(
                    "\(paths.data.path) already holds a store: restore into a new data folder (HEARTH_HOME)")
            }
            try files.createDirectory(at: paths.data, withIntermediateDirectories: true)
            try copyIfPresent(folder.appending(path: "server.secret"), to: paths.serverSecret)
            try copyIfPresent(folder.appending(path: "vectors"), to: paths.vectorIndexes)
            try files.copyItem(at: folder.appending(path: "knowledge.sqlite"), to: paths.knowledge)
            counts = try await SQLiteKnowledgeStore(paths: paths).counts(of: tables)
        case (let backend, _):
            throw HearthError.invalidRequest(
                backend == "postgres"
                    ? "this is a backup of a PostgreSQL store: set HEARTH_DATABASE_URL to a new, empty database"
                    : "this is a backup of an embedded (SQLite) store: unset HEARTH_DATABASE_URL and set HEARTH_HOME to a new folder")
        }
        guard counts == manifest.counts else {
            let differing = tables.filter { counts[$0] != manifest.counts[$0] }
                .map { "\($0) \(counts[$0] ?? 0) of \(manifest.counts[$0] ?? 0)" }
            throw HearthError(.internalError, "the restored store differs from the backup: \(differing.joined(separator: ", "))")
        }
        return Restored(manifest: manifest, missingModels: try restoreModels(from: folder, into: ModelStore(root: paths.models)))
    }

    /// Copies the backup's model manifests this store lacks, keeping those whose model file
    /// is here; returns the names of the others.
    private static func restoreModels(from folder: URL, into store: ModelStore) throws -> [String] {
        let source = folder.appending(path: "models/manifests")
        var missing: [String] = []
        let files = FileManager.default
        for model in (try? files.contentsOfDirectory(atPath: source.path)) ?? [] {
            for file in (try? files.contentsOfDirectory(atPath: source.appending(path: model).path)) ?? [] where file.hasSuffix(".json") {
                let name = model + ":" + file.dropLast(".json".count)
                let target = store.root.appending(path: "manifests/\(model)/\(file)")
                guard !files.fileExists(atPath: target.path) else { continue }
                try files.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try files.copyItem(at: source.appending(path: "\(model)/\(file)"), to: target)
                if (try? store.entry(name)) == nil {
                    try? files.removeItem(at: target)
                    missing.append(name)
                }
            }
        }
        return missing.sorted()
    }

    /// Copies the file or folder at `source` to `target`, when there is one.
    private static func copyIfPresent(_ source: URL, to target: URL) throws {
        guard FileManager.default.fileExists(atPath: source.path) else { return }
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source, to: target)
    }
}
