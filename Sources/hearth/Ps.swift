import ArgumentParser
import Foundation
import HearthCore
import HearthWire

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension Hearth {
    struct Ps: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the models a running server has loaded: memory, slots, queue, cache and when each unloads.",
            discussion: """
                Asks the server at HEARTH_HOST (default 127.0.0.1:8420). When the server needs
                a key, the first of HEARTH_API_KEYS is sent.

                Example:
                  hearth ps
                """)

        @Option(name: .long, help: "Server address as host:port (default: HEARTH_HOST or 127.0.0.1:8420).")
        var host: String?

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            let configuration: Configuration
            do { configuration = try Configuration(environment: environment) } catch { throw fail(error) }
            let address = host ?? "\(configuration.host):\(configuration.port)"
            guard let url = URL(string: "http://\(address)/hearth/status") else {
                throw fail(HearthError.invalidRequest("'\(address)' is not a host:port address"))
            }
            var request = URLRequest(url: url, timeoutInterval: 5)
            if let key = configuration.apiKeys.first { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
            let status: HearthStatus
            do {
                let (data, response) = try await URLSession.shared.data(for: request)
                guard (response as? HTTPURLResponse)?.statusCode == 200 else {
                    throw HearthError(
                        .internalError, "the server at \(address) answered \((response as? HTTPURLResponse)?.statusCode ?? 0)")
                }
                status = try JSONDecoder().decode(HearthStatus.self, from: data)
            } catch let error as HearthError {
                throw fail(error)
            } catch {
                throw fail(HearthError(.internalError, "no Hearth server answers at \(address) (start one with `hearth serve`)"))
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
