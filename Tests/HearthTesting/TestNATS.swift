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
    public static func url() async throws -> String { "nats://127.0.0.1:\(try await server.port())" }

    /// A server of its own, started with more `options` (`--auth TOKEN`), on `port` (default:
    /// a free one); returns its URL and a way to stop it.
    public static func start(_ options: [String] = [], port: Int? = nil) async throws -> (url: String, stop: @Sendable () async -> Void) {
        let port = try port ?? FreePort.find()
        let folder = FileManager.default.temporaryDirectory.appending(path: "hearth-nats-\(UUID().uuidString)")
        try await RunProgram.run(script, ["start", folder.path, "\(port)", "\(ProcessInfo.processInfo.processIdentifier)", "--"] + options)
        return ("nats://127.0.0.1:\(port)", { _ = try? await RunProgram.run(script, ["stop", folder.path]) })
    }

    private actor Server {
        private var starting: Task<Int, any Error>?

        func port() async throws -> Int {
            if let starting { return try await starting.value }
            let task = Task {
                let port = try FreePort.find()
                let folder = FileManager.default.temporaryDirectory.appending(path: "hearth-nats-\(UUID().uuidString)")
                try await RunProgram.run(script, ["start", folder.path, "\(port)", "\(ProcessInfo.processInfo.processIdentifier)"])
                return port
            }
            starting = task
            return try await task.value
        }
    }

    private static let server = Server()

    private static var script: String {
        URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "scripts/setup-nats.sh").path
    }
}
