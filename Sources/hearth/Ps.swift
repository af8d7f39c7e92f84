import ArgumentParser
import Foundation
import HearthClient
import HearthCore
import HearthWire

/// `--host`, for commands that only talk to a running server.
struct ServerFlags: ParsableArguments {
    @Option(name: .long, help: "Server address: host:port or a URL (default: HEARTH_HOST or 127.0.0.1:8420).")
    var host: String?

    /// A client of the server `--host` names, else the environment's.
    func client() throws -> HearthClient {
        var configuration = try environmentConfiguration()
        if let host { configuration.address = try ServerAddress(parsing: host, variable: "--host") }
        return HearthClient(configuration)
    }
}

extension Hearth {
    struct Ps: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the models a running server has loaded: memory, slots, queue, cache and when each unloads.",
            discussion: """
                Asks the server at HEARTH_HOST (default 127.0.0.1:8420). When the server needs
                a key, HEARTH_API_KEY (else the first of HEARTH_API_KEYS) is sent.

                Example:
                  hearth ps
                """)

        @OptionGroup var server: ServerFlags

        func run() async throws {
            let status: HearthStatus
            do {
                status = try await server.client().status()
            } catch {
                throw fail(error)
            }
            let rows = status.models.map { model in
                [
                    model.name, "\(model.activeSequences)/\(model.parallel)", "\(model.queuedRequests)", "\(model.contextPerSequence)",
                    model.promptTokens == 0
                        ? "-" : String(format: "%.0f%%", 100 * Double(model.promptTokensCached) / Double(model.promptTokens)),
                    String(format: "%.1f", model.generationTokensPerSecond), formatBytes(model.memoryBytes),
                    Self.until(model.expiresAt),
                ]
            }
            printTable(["NAME", "SLOTS BUSY", "QUEUED", "CONTEXT/SLOT", "CACHE HITS", "TOKENS/S", "MEMORY", "UNTIL"], rows)
        }

        /// `4 minutes from now`, or `busy or pinned` when it does not expire.
        static func until(_ expiresAt: Double?) -> String {
            guard let expiresAt else { return "stays loaded" }
            let seconds = Int(expiresAt - Date().timeIntervalSince1970)
            return seconds >= 120 ? "\(seconds / 60) minutes from now" : "\(max(0, seconds)) seconds from now"
        }
    }
}
