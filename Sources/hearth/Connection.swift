import Foundation
import HearthApp
import HearthClient
import HearthCore
import HearthModels

/// How a command reaches Hearth: the server at `HEARTH_HOST` when one answers; otherwise,
/// for commands that can run alone, the same server started inside this process.
enum Connection {
    /// Runs `body` with a client of the running server or, when none answers on this machine,
    /// of an in-process one (saying so once on standard error). A HEARTH_HOST elsewhere that
    /// does not answer is an error: the command must not change this machine's store instead.
    /// `models` that are `.gguf` paths always run in-process (a server opens only the files
    /// it was started with), loaded at start when `load` is set.
    static func run<Result: Sendable>(
        _ configuration: Configuration, models: [String] = [], load: Bool = true,
        _ body: @escaping @Sendable (HearthClient) async throws -> Result
    ) async throws -> Result {
        let paths = models.filter(ModelStore.isPath)
        let client = HearthClient(configuration)
        if paths.isEmpty {
            if await client.isServing() { return try await body(client) }
            guard configuration.address.isLoopback else {
                throw HearthError(.unreachable, "no Hearth server answers at \(configuration.address) (HEARTH_HOST)")
            }
            // A server that is there but slow (a busy machine) gets more time, never a second
            // copy of the models beside it.
            if await client.isListening() {
                if await client.isServing(timeout: .seconds(15)) { return try await body(client) }
                throw HearthError(
                    .unavailable, "something listens at \(configuration.address) but does not answer as a Hearth server (HEARTH_HOST)")
            }
        }
        let reason = paths.isEmpty ? "no Hearth server at \(configuration.address)" : "\(paths[0]) is a file"
        FileHandle.standardError.write(Data("(\(reason): running in-process)\n".utf8))
        return try await InProcessServer.run(configuration, loading: load ? paths : [], body)
    }
}
