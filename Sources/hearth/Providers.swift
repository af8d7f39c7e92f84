import ArgumentParser
import Foundation
import HearthClient
import HearthCore
import HearthWire

extension Hearth {
    struct Providers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "providers",
            abstract: "Show where routed models run (config.toml) and test their deployments.",
            discussion: """
                Asks the server at HEARTH_HOST (default 127.0.0.1:8420) as an administrator
                (HEARTH_API_KEY, or the session of hearth login). Models are routed in
                config.toml ([[providers]], [[models]]); see docs/gateway.md.
                """,
            subcommands: [List.self, Test.self], defaultSubcommand: List.self)

        struct Test: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Ask every deployment of every routed model for one token; exit 1 when one fails.",
                discussion: """
                    Example:
                      hearth providers test
                    """)

            @OptionGroup var server: ServerFlags

            func run() async throws {
                let probes: ProviderProbes
                do {
                    probes = try await server.client().testProviders()
                } catch {
                    throw fail(error)
                }
                guard !probes.deployments.isEmpty else { return print("no routed models (config.toml has no [[models]])") }
                printTable(
                    ["MODEL", "PROVIDER", "UPSTREAM MODEL", "RESULT", "TIME"],
                    probes.deployments.map {
                        [
                            $0.model, $0.provider, $0.upstreamModel, $0.ok ? "ok" : "failed: " + String(($0.error ?? "").prefix(60)),
                            String(format: "%.0f ms", $0.seconds * 1000),
                        ]
                    })
                if probes.deployments.contains(where: { !$0.ok }) { throw ExitCode(1) }
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "list",
                abstract: "Show each routed deployment's strategy, circuit, load and first-token time, and the MCP servers.")

            @OptionGroup var server: ServerFlags

            func run() async throws {
                let status: HearthStatus
                do {
                    status = try await server.client().status()
                } catch {
                    throw fail(error)
                }
                if status.deployments.isEmpty {
                    print("no routed models (config.toml has no [[models]], or this key is not an administrator's)")
                } else {
                    printTable(
                        ["MODEL", "PROVIDER", "UPSTREAM MODEL", "STRATEGY", "CIRCUIT", "IN FLIGHT", "FIRST TOKEN"],
                        status.deployments.map {
                            [
                                $0.model, $0.provider, $0.upstreamModel, $0.strategy, $0.circuit, "\($0.inFlight)",
                                $0.firstTokenSeconds.map { String(format: "%.0f ms", $0 * 1000) } ?? "-",
                            ]
                        })
                }
                if !status.mcpServers.isEmpty {
                    print("")
                    printTable(
                        ["MCP SERVER", "STATE", "TOOLS", "RESTARTS", "ERROR"],
                        status.mcpServers.map { [$0.name, $0.state, "\($0.tools)", "\($0.restarts)", String(($0.error ?? "").prefix(60))] })
                }
            }
        }
    }
}
