import Foundation
import Synchronization

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
        let port = try await server.port
        let database = databases.withLock { count in
            defer { count += 1 }
            return count
        }
        guard database < 16 else { throw TestRedisError(description: "more than 16 Redis databases asked for in one test process") }
        return "redis://127.0.0.1:\(port)/\(database)"
    }

    /// The port of the test process's server.
    public static func port() async throws -> Int { try await server.port }

    /// The test process's server, started once by whichever test asks first.
    private static let server = TestServer.Shared("setup-redis.sh")
    /// Databases handed out so far.
    private static let databases = Mutex(0)

    struct TestRedisError: Error, CustomStringConvertible {
        let description: String
    }
}
