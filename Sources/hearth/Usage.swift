import ArgumentParser
import Foundation
import HearthCore

extension Hearth {
    struct UsageTotals: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "usage",
            abstract: "Show token usage: your own, or everyone's for an administrator.",
            discussion: """
                Examples:
                  hearth usage                    # by day, the last 30 days
                  hearth usage --by model --days 7
                  hearth usage --by user          # administrators: who used what
                  hearth usage --user alice --by key
                """)

        @Option(help: "Group by day, model, key or user.")
        var by: UsageGrouping = .day

        @Option(help: "How many days back.")
        var days: Double = 30

        @Option(help: "Only this user's usage (administrators).")
        var user: String?

        func validate() throws {
            guard days > 0 else { throw ValidationError("--days must be positive") }
        }

        func run() async throws {
            do {
                let report = try await Connection.run(try environmentConfiguration()) { [by, days, user] in
                    try await $0.usage(by: by.rawValue, days: days, user: user)
                }
                guard !report.totals.isEmpty else {
                    print("no usage in the last \(days.formatted()) days")
                    return
                }
                printTable(
                    [by.rawValue.uppercased(), "REQUESTS", "PROMPT TOKENS", "COMPLETION TOKENS"],
                    report.totals.map { [$0.group, "\($0.requests)", "\($0.promptTokens)", "\($0.completionTokens)"] })
            } catch {
                throw fail(error)
            }
        }
    }
}

extension UsageGrouping: ExpressibleByArgument {}
