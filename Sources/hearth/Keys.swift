import ArgumentParser
import Foundation
import HearthCore
import HearthWire

extension Hearth {
    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keys",
            abstract: "Create, list and revoke API keys (your own; an administrator's, anyone's).",
            discussion: """
                A key is shown once, when it is created; the server keeps only a keyed hash of it.

                Examples:
                  hearth keys create --user alice --label laptop --expires-in-days 90
                  hearth keys create --user ci --requests-per-minute 60 --concurrent 2
                  hearth keys list
                  hearth keys revoke key_Vb3k…
                """,
            subcommands: [List.self, Create.self, Revoke.self], defaultSubcommand: List.self)

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List keys (never their secrets).")

            func run() async throws {
                do {
                    let keys = try await Connection.run(try environmentConfiguration()) { try await $0.keys() }
                    printTable(
                        ["ID", "USER", "LABEL", "KEY", "CREATED", "STATE"],
                        keys.map { [$0.id, $0.user, $0.label, $0.prefix + "…", formatDate($0.createdAt), Self.state($0)] })
                } catch {
                    throw fail(error)
                }
            }

            static func state(_ key: IdentityWire.Key) -> String {
                if key.revokedAt != nil { return "revoked" }
                if let expires = key.expiresAt {
                    return expires < Int(Date().timeIntervalSince1970) ? "expired" : "until " + formatDate(expires)
                }
                return "active"
            }
        }

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a key and print it once.")

            @Option(help: "Whose key (default: yours).")
            var user: String?

            @Option(help: "A label to tell keys apart.")
            var label: String = ""

            @Option(help: "Days until the key stops working (default: never).")
            var expiresInDays: Double?

            @Option(help: "A model the key may use (repeat; default: all).")
            var model: [String] = []

            @OptionGroup(title: "Limits of the key (its user's apply too)")
            var limits: LimitOptions

            func validate() throws {
                if let expiresInDays, expiresInDays <= 0 { throw ValidationError("--expires-in-days must be positive") }
            }

            func run() async throws {
                do {
                    let request = IdentityWire.CreateKey(
                        user: user, label: label, expiresInDays: expiresInDays, models: model.isEmpty ? nil : model,
                        limits: limits.limits)
                    let key = try await Connection.run(try environmentConfiguration()) { try await $0.createKey(request) }
                    print(key.key ?? "")
                    FileHandle.standardError.write(
                        Data("(\(key.id) for \(key.user): keep it now, it is not shown again)\n".utf8))
                } catch {
                    throw fail(error)
                }
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Revoke a key at once.")

            @Argument(help: "The key's id (`hearth keys list`).")
            var id: String

            func run() async throws {
                do {
                    _ = try await Connection.run(try environmentConfiguration()) { [id] in try await $0.revokeKey(id) }
                    print("revoked \(id)")
                } catch {
                    throw fail(error)
                }
            }
        }
    }
}
