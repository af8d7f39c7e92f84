import Foundation
import HearthCore
import PostgresNIO

/// Backups of a PostgreSQL store: `pg_dump` (custom format) of one snapshot, the row counts
/// of that same snapshot beside it, and `pg_restore` into an empty database. The PostgreSQL
/// client programs come from `PATH` and must be no older than the server.
extension PostgresDatabase {
    /// Dumps the whole database at `url` into `file` while it serves, and returns how many
    /// rows each of `tables` had in the dumped snapshot.
    /// - Throws: `HearthError.unavailable` when `pg_dump` is missing or fails.
    public func dump(to file: URL, url: String, counting tables: [String]) async throws -> [String: Int] {
        try await transaction("the backup") { connection in
            // One snapshot for the counts and the dump: exported, and handed to pg_dump.
            try await Self.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", on: connection, logger: logger)
            let snapshot: String = try await Self.rows("SELECT pg_export_snapshot() AS id", on: connection, logger: logger)[0].get("id")
            let counts = try await Self.counts(tables, on: connection, logger: logger)
            try await Self.runTool(
                "pg_dump", ["--format=custom", "--no-owner", "--no-privileges", "--snapshot=\(snapshot)", "--file=\(file.path)"],
                url: url)
            return counts
        }
    }

    /// Restores the dump `file` into the database at `url`, which must hold no Hearth store yet.
    /// - Throws: `HearthError.invalidRequest` when the database is not empty;
    ///   `.unavailable` when `pg_restore` is missing or fails (nothing is restored then).
    public static func restore(from file: URL, url: String, logger: Logger = Logger(label: "hearth.postgres")) async throws {
        try await runTool("psql", ["--no-psqlrc", "--quiet", "--tuples-only", "--command=SELECT 1"], url: url)
        let probe = try await runTool(
            "psql",
            ["--no-psqlrc", "--quiet", "--tuples-only", "--no-align", "--command=SELECT to_regclass('hearth_migrations') IS NOT NULL"],
            url: url)
        guard probe.trimmingCharacters(in: .whitespacesAndNewlines) == "f" else {
            throw HearthError.invalidRequest(
                "the database of HEARTH_DATABASE_URL already holds a Hearth store; restore into a new, empty database")
        }
        try await runTool("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", file.path], url: url)
    }

    /// How many rows each of `tables` has now.
    public func counts(of tables: [String]) async throws -> [String: Int] {
        try await transaction("the counts") { connection in try await Self.counts(tables, on: connection, logger: logger) }
    }

    private static func counts(_ tables: [String], on connection: PostgresConnection, logger: Logger) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in tables {
            // Table names come from the caller's fixed list, never from a request.
            precondition(table.allSatisfy { $0.isLetter || $0 == "_" })
            let rows = try await Self.rows(PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM \(table)"), on: connection, logger: logger)
            counts[table] = try rows[0].get("n")
        }
        return counts
    }

    /// Runs a PostgreSQL client program on the database at `url` and returns its output. The
    /// password goes in the environment (`PGPASSWORD`), not the command line others can read.
    /// - Throws: `HearthError.unavailable` with the program's error output (never the password).
    @discardableResult
    static func runTool(_ name: String, _ arguments: [String], url: String) async throws -> String {
        guard let program = findOnPath(name) else {
            throw HearthError(
                .unavailable,
                "\(name) is not on PATH: install the PostgreSQL client programs (no older than the server) or add their folder to PATH")
        }
        guard var parts = URLComponents(string: url) else { throw HearthError.invalidRequest("HEARTH_DATABASE_URL is not a URL") }
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = parts.password?.removingPercentEncoding
        parts.password = nil
        // Hearth's own settings are not libpq's.
        parts.queryItems = parts.queryItems?.filter { $0.name != "pool_size" }
        if parts.queryItems?.isEmpty == true { parts.queryItems = nil }
        let folder = FileManager.default.temporaryDirectory.appending(path: "hearth-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (outputFile, errorFile) = (folder.appending(path: "out"), folder.appending(path: "err"))
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        let process = Process()
        process.executableURL = program
        process.arguments = arguments + ["--dbname=\(parts.string ?? url)"]
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: HearthError(.unavailable, "cannot run \(name)", detail: "\(error)"))
            }
        }
        let problem = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw HearthError(
                .unavailable, "\(name) failed: \(problem.trimmingCharacters(in: .whitespacesAndNewlines).suffix(600))")
        }
        return (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
    }

    private static func findOnPath(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(filePath: String($0)).appending(path: name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}
