import Foundation
import HearthCore

/// A PostgreSQL 18 with pgvector for tests (scripts/setup-postgres.sh installs it): one
/// throw-away cluster per test process on a free loopback port, started on first use and
/// stopped by its PID when the process ends; each caller gets a database of its own.
public enum TestPostgres {
    /// Whether the set-up has installed PostgreSQL here.
    public static var isInstalled: Bool {
        get async {
            guard let prefix else { return false }
            return FileManager.default.isExecutableFile(atPath: prefix + "/bin/postgres")
        }
    }

    /// The URL of a new, empty database on the test cluster.
    /// - Throws: when PostgreSQL is not installed or does not start.
    public static func newDatabase() async throws -> String {
        let port = try await cluster.port
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        guard let programs else { throw HearthError(.unavailable, "PostgreSQL is not installed") }
        try await RunProgram.run(programs + "/createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "hearth", String(name)])
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
    private static let cluster = TestServer.Shared("setup-postgres.sh")

    private static var script: String { TestServer.path("setup-postgres.sh") }
}
