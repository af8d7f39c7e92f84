import ArgumentParser
import Foundation
import HearthApp
import HearthCore

extension Hearth {
    struct Admin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set up the server's first administrator.", subcommands: [Bootstrap.self])

        struct Bootstrap: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create the first administrator and print its API key once.",
                discussion: """
                    Works on this machine's data folder (HEARTH_HOME), with or without a running
                    server, and only while no user exists. From then on every request to the server
                    needs a key: give it as HEARTH_API_KEY to the CLI, or to any OpenAI client.

                    Example:
                      export HEARTH_API_KEY=$(hearth admin bootstrap)
                    """)

            @Option(help: "The administrator's user name.")
            var name = "admin"

            func run() async throws {
                do {
                    let (user, key, secret) = try await HearthApplication.bootstrapAdmin(try environmentConfiguration(), name: name)
                    print(secret)
                    FileHandle.standardError.write(
                        Data("(administrator \(user.name), key \(key.id): keep it now, it is not shown again)\n".utf8))
                } catch {
                    throw fail(error)
                }
            }
        }
    }
}
