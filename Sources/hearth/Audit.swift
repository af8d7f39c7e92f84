import ArgumentParser
import Foundation
import HearthCore

extension Hearth {
    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the audit log: users and keys changed, refused keys (administrators).",
            discussion: """
                Examples:
                  hearth audit
                  hearth audit --days 30 --limit 500
                """)

        @Option(help: "How many days back.")
        var days: Double = 7

        @Option(help: "At most this many events, newest first.")
        var limit = 100

        func validate() throws {
            guard days > 0 else { throw ValidationError("--days must be positive") }
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be 1 to 10000") }
        }

        func run() async throws {
            do {
                let log = try await Connection.run(try environmentConfiguration()) { [days, limit] in
                    try await $0.audit(days: days, limit: limit)
                }
                printTable(
                    ["TIME", "ACTOR", "ACTION", "TARGET", "ADDRESS"],
                    log.events.map { [formatDate(Int($0.time)), $0.actor, $0.action, $0.target, $0.address ?? "-"] })
            } catch {
                throw fail(error)
            }
        }
    }
}
