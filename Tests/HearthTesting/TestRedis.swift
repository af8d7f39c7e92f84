import Foundation

/// A Redis for tests (scripts/setup-redis.sh installs it): one throw-away server per test
/// process on a free loopback port, started on first use and stopped when the process ends;
/// each caller gets a database number of its own (of Redis's 16), so tests run side by side.
public enum TestRedis {
    /// Whether the set-up has installed Redis here.
    public static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-check-rdb")
            || FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server")
    }

    /// The URL of an empty database of the test server (`redis://127.0.0.1:PORT/N`).
    /// - Throws: when Redis is not installed or does not start, or all 16 databases are taken.
    public static func newDatabase() async throws -> String {
        try await server.newDatabase()
    }

    /// The port of the test process's server.
    public static func port() async throws -> Int { try await server.port() }

    /// The test process's server, started once by whichever test asks first.
    private actor Server {
        private var starting: Task<Int, any Error>?
        private var databases = 0

        func port() async throws -> Int {
            if let starting { return try await starting.value }
            let task = Task {
                let port = try FreePort.find()
                let folder = FileManager.default.temporaryDirectory.appending(path: "hearth-redis-\(UUID().uuidString)")
                try await RunProgram.run(script, ["start", folder.path, "\(port)", "\(ProcessInfo.processInfo.processIdentifier)"])
                return port
            }
            starting = task
            return try await task.value
        }

        func newDatabase() async throws -> String {
            let port = try await port()
            guard databases < 16 else { throw TestRedisError(description: "more than 16 Redis databases asked for in one test process") }
            defer { databases += 1 }
            return "redis://127.0.0.1:\(port)/\(databases)"
        }
    }

    struct TestRedisError: Error, CustomStringConvertible {
        let description: String
    }

    private static let server = Server()

    private static var script: String {
        URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "scripts/setup-redis.sh").path
    }
}
