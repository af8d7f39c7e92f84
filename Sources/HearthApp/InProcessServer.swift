import Foundation
import HearthClient
import HearthCore
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The server run inside a CLI command when none answers at `HEARTH_HOST`: the same
/// application as `hearth serve`, on a free loopback port, with a key only this process
/// knows, models loaded on first use and one sequence each. The command talks to it with
/// the same `HearthClient` it would use with a running server.
public enum InProcessServer {
    /// Starts the server, loading `models` at once (a `.gguf` path must be loaded so), runs
    /// `body` with a client of it, then shuts it down (unloading the models and saving the indexes).
    /// - Throws: `HearthError` for invalid settings or unloadable models; what `body` throws.
    public static func run<Result: Sendable>(
        _ configuration: Configuration, loading models: [String] = [],
        _ body: @escaping @Sendable (HearthClient) async throws -> Result
    ) async throws -> Result {
        var configuration = configuration
        configuration.models = models + configuration.models
        configuration.address = ServerAddress(host: "127.0.0.1", port: 0)
        let key = "local-" + UUID().uuidString
        configuration.apiKeys = [key]
        configuration.parallel = 1
        // The user's own command: it may read whatever the user can.
        configuration.ingestRoots = ["/"]
        configuration.allowsModelPaths = true
        var logger = Logger(label: "hearth")
        logger.logLevel = .warning
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = try await HearthApplication.build(configuration, logger: logger, preload: models) { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
            portContinuation.finish()
        }
        let group = ServiceGroup(services: [app], logger: logger)
        return try await withThrowingTaskGroup(of: Result?.self) { tasks in
            tasks.addTask {
                // A server that fails to start ends the wait for its port too.
                defer { portContinuation.finish() }
                try await group.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else {
                await group.triggerGracefulShutdown()
                throw HearthError(.internalError, "the in-process server did not start")
            }
            let client = HearthClient(address: ServerAddress(host: "127.0.0.1", port: port), apiKey: key)
            do {
                let result = try await body(client)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}
