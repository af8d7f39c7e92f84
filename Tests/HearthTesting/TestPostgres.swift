import Foundation
import HearthCore

/// A PostgreSQL 18 with pgvector for tests (scripts/setup-postgres.sh installs it): one
/// throw-away cluster per test process on a free loopback port, started on first use and
/// stopped by its PID when the process ends; each caller gets a database of its own.
public enum TestPostgres {
    /// Whether the set-up has installed PostgreSQL here.
    public static var isInstalled: Bool {
        get async {
            guard let prefix = try? await run(script, ["--prefix"]) else { return false }
            return FileManager.default.isExecutableFile(atPath: prefix + "/bin/postgres")
        }
    }

    /// The URL of a new, empty database on the test cluster.
    /// - Throws: when PostgreSQL is not installed or does not start.
    public static func newDatabase() async throws -> String {
        let port = try await cluster.port()
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let prefix = try await run(script, ["--prefix"])
        try await run(prefix + "/bin/createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "hearth", String(name)])
        return "postgres://hearth@127.0.0.1:\(port)/\(name)?sslmode=disable"
    }

    /// The first column of the first row `sql` returns in the database at `url`, read by
    /// `psql` synchronously: for watching a database from a thread of its own.
    public static func value(_ sql: String, in url: String) throws -> String {
        guard let prefix = prefix else { throw HearthError(.unavailable, "PostgreSQL is not installed") }
        return try runWaiting(prefix + "/bin/psql", ["-Atq", "-d", url, "-c", sql])
    }

    /// Where the set-up installed PostgreSQL, once asked.
    private static let prefix: String? = try? runWaiting(script, ["--prefix"])

    /// The test process's cluster, started once by whichever test asks first.
    private actor Cluster {
        private var starting: Task<Int, any Error>?

        func port() async throws -> Int {
            if let starting { return try await starting.value }
            let task = Task {
                let port = try FreePort.find()
                let folder = FileManager.default.temporaryDirectory.appending(path: "hearth-postgres-\(UUID().uuidString)")
                try await run(script, ["start", folder.path, "\(port)", "\(ProcessInfo.processInfo.processIdentifier)"])
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

    /// Runs a program on a thread of its own; returns its standard output, trimmed. Output
    /// goes through files, not pipes (a server it leaves running holds no pipe open), and the
    /// child is awaited with `waitpid` (Foundation's `Process` misses the exit of a script
    /// that leaves a daemon behind).
    /// - Throws: `HearthError.internalError` with its error output when it fails.
    @discardableResult
    static func run(_ program: String, _ arguments: [String]) async throws -> String {
        try await onOwnThread("hearth-test-run") { try runWaiting(program, arguments) }
    }

    private static func runWaiting(_ program: String, _ arguments: [String]) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appending(path: "hearth-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (outputFile, errorFile) = (folder.appending(path: "out").path, folder.appending(path: "err").path)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errorFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, nil, argv, environ)
        guard spawned == 0 else { throw HearthError(.internalError, "cannot run \(program): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            let problem = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
            throw HearthError(.internalError, "\(program) \(arguments.first ?? "") failed (status \(status)): \(problem)")
        }
        return ((try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
