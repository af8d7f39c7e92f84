import Foundation

/// A NATS server for tests (scripts/setup-nats.sh installs it): one throw-away server per
/// test process on a free loopback port, with JetStream, started on first use and stopped
/// when the process ends. Tests keep apart by subjects of their own.
public enum TestNATS {
    /// Whether the set-up has installed the NATS server here.
    public static var isInstalled: Bool {
        guard let binary = try? RunProgram.waiting(script, ["--prefix"]) else { return false }
        return FileManager.default.isExecutableFile(atPath: binary)
    }

    /// The test server's URL (`nats://127.0.0.1:PORT`).
    public static func url() async throws -> String { "nats://127.0.0.1:\(try await server.port)" }

    /// A server of its own, started with more `options` (`--auth TOKEN`), on `port` (default:
    /// a free one); returns its URL and a way to stop it.
    public static func start(_ options: [String] = [], port: Int? = nil) async throws -> (url: String, stop: @Sendable () async -> Void) {
        let server = try await TestServer.start("setup-nats.sh", port: port, options: options)
        return ("nats://127.0.0.1:\(server.port)", { await server.stop() })
    }

    /// The test process's server, started once by whichever test asks first.
    private static let server = TestServer.Shared("setup-nats.sh")

    private static var script: String { TestServer.path("setup-nats.sh") }
}
