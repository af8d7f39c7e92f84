import ArgumentParser
import Foundation
import HearthCore
import HearthWire

extension Hearth.Users {
    struct Limit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set what all of a user's requests together may use (each key's own limits apply too).",
            discussion: """
                Limits not given are lifted. Over a limit, requests answer 429 with Retry-After
                (`insufficient_quota` once a day's or month's tokens are spent).

                Examples:
                  hearth users limit alice --tokens-per-minute 20000 --tokens-per-day 500000
                  hearth users limit alice        # no limits
                """)

        @Argument(help: "User name.")
        var name: String

        @OptionGroup(title: "Limits")
        var limits: LimitOptions

        func run() async throws {
            do {
                let user = try await Connection.run(try environmentConfiguration()) { [name, limits] in
                    try await $0.setLimits(IdentityWire.Limits(limits.limits), user: name)
                }
                print(user.limits == nil ? "\(name) has no limits" : "limits set for \(name)")
            } catch {
                throw fail(error)
            }
        }
    }
}
