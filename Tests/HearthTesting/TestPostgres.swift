import Foundation
import HearthCore

/// A PostgreSQL 18 with pgvector for tests (scripts/setup-postgres.sh installs it): one
/// throw-away cluster per test process on a free loopback port, started on first use and
/// stopped by its PID when the process ends; each caller gets a database of its own.
public enum TestPostgres {
    /// Whether the set-up has installed PostgreSQL here.
    public static var isInstalled: Bool {
        get async {
            guard let prefix = try? await RunProgram.run(script, ["--prefix"]) else { return false }
            return FileManager.default.isExecutableFile(atPath: prefix + "/bin/postgres")
        }
    }

    /// The URL of a new, empty database on the test cluster.
    /// - Throws: when PostgreSQL is not installed or does not start.
    public static func newDatabase() async throws -> String {
        let port = try await cluster.port()
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let prefix = try await RunProgram.run(script, ["--prefix"])
        try await RunProgram.run(prefix + "/bin/createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "hearth", String(name)])
        return "postgres://hearth@127.0.0.1:\(port)/\(name)?sslmode=disable"
    }

    /// The first column of the first row `sql` returns in the database at `url`, read by
    /// `psql` synchronously: for watching a database from a thread of its own.
    public static func value(_ sql: String, in url: String) throws -> String {
        guard let prefix = prefix else { throw HearthError(.unavailable, "PostgreSQL is not installed") }
        return try RunProgram.waiting(prefix + "/bin/psql", ["-Atq", "-d", url, "-c", sql])
    }

    /// The folder of PostgreSQL's programs (`pg_dump`, `pg_restore`, `psql`), for a `PATH`.
    public static var programs: String? { prefix.map { $0 + "/bin" } }

    /// Where the set-up installed PostgreSQL, once asked.
    private static let prefix: String? = try? RunProgram.waiting(script, ["--prefix"])

    /// The test process's cluster, started once by whichever test asks first.
    private actor Cluster {
        private var starting: Task<Int, any Error>?

        func port() async throws -> Int {
            if let starting { return try await starting.value }
            let task = Task {
                let port = try FreePort.find()
                let folder = FileManager.default.temporaryDirectory.appending(path: "hearth-postgres-\(UUID().uuidString)")
                try await RunProgram.run(script, ["start", folder.path, "\(port)", "\(ProcessInfo.processInfo.processIdentifier)"])
                return port
            }
            starting = task
            return try await task.value
        }
    }

    private static let cluster = Cluster()

    private static var script: String {
        URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "scripts/setup-postgres.sh").path
    }
}
