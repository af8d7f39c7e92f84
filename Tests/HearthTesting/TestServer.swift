import Foundation

/// A throw-away server started by one of the set-up's scripts (`scripts/setup-postgres.sh`,
/// `setup-redis.sh`, `setup-nats.sh`: `start DIR PORT OWNER_PID [-- OPTIONS]`, `stop DIR`) on
/// a loopback port, its files in a new temporary folder; it stops by itself when this test
/// process ends. `shared()` is the one of the test process, started by whichever test asks first.
public struct TestServer: Sendable {
    public let port: Int
    let script: String
    let folder: URL

    /// Starts a server with `script` (a file name in `scripts/`) on `port` (default: a free one).
    /// - Throws: what the script says when it cannot start one.
    public static func start(_ script: String, port: Int? = nil, options: [String] = []) async throws -> TestServer {
        let port = try port ?? FreePort.find()
        let name = script.replacingOccurrences(of: "setup-", with: "").replacingOccurrences(of: ".sh", with: "")
        let server = TestServer(
            port: port, script: path(script),
            folder: FileManager.default.temporaryDirectory.appending(path: "hearth-\(name)-\(UUID().uuidString)"))
        let owner = "\(ProcessInfo.processInfo.processIdentifier)"
        try await RunProgram.run(
            server.script, ["start", server.folder.path, "\(port)", owner] + (options.isEmpty ? [] : ["--"] + options))
        return server
    }

    /// Stops it now (by the PID it recorded).
    public func stop() async { _ = try? await RunProgram.run(script, ["stop", folder.path]) }

    /// The test process's server of `script`, started once.
    actor Shared {
        private let script: String
        private var starting: Task<TestServer, any Error>?

        init(_ script: String) { self.script = script }

        var port: Int {
            get async throws {
                if let starting { return try await starting.value.port }
                let task = Task { [script] in try await TestServer.start(script) }
                starting = task
                return try await task.value.port
            }
        }
    }

    /// The path of the set-up script `name`.
    static func path(_ name: String) -> String {
        URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "scripts/\(name)").path
    }
}
