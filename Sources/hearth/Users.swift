import ArgumentParser
import Foundation
import HearthCore
import HearthWire

extension Hearth {
    struct Users: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "users",
            abstract: "Manage the server's users (administrators only).",
            discussion: """
                Examples:
                  hearth users add alice
                  hearth users add bob --role admin
                  hearth users disable alice      # her keys stop working at once
                """,
            subcommands: [List.self, Add.self, Disable.self, Enable.self, Password.self], defaultSubcommand: List.self)

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List users.")

            func run() async throws {
                do {
                    let users = try await Connection.run(try environmentConfiguration()) { try await $0.users() }
                    printTable(
                        ["NAME", "ROLE", "STATE", "CREATED"],
                        users.map { [$0.name, $0.role, $0.disabled ? "disabled" : "active", formatDate($0.createdAt)] })
                } catch {
                    throw fail(error)
                }
            }
        }

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add a user; `hearth keys create --user NAME` gives them a key.")

            @Argument(help: "User name (letters, digits, '.', '_', '-', '@').")
            var name: String

            @Option(help: "admin or user.")
            var role: Role = .user

            func run() async throws {
                do {
                    let user = try await Connection.run(try environmentConfiguration()) { [name, role] in
                        try await $0.createUser(IdentityWire.CreateUser(name: name, role: role.rawValue))
                    }
                    print("added \(user.name) (\(user.role))")
                } catch {
                    throw fail(error)
                }
            }
        }

        struct Disable: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Disable a user: their keys are refused.")

            @Argument(help: "User name.")
            var name: String

            func run() async throws {
                do {
                    _ = try await Connection.run(try environmentConfiguration()) { [name] in try await $0.setDisabled(true, user: name) }
                    print("disabled \(name)")
                } catch {
                    throw fail(error)
                }
            }
        }

        struct Password: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "passwd",
                abstract: "Set a user's password for signing in (read from standard input, one line).",
                discussion: """
                    Example:
                      read -rs PASSWORD && echo "$PASSWORD" | hearth users passwd alice
                    """)

            @Argument(help: "User name.")
            var name: String

            func run() async throws {
                do {
                    guard let password = readLine(strippingNewline: true), !password.isEmpty else {
                        throw HearthError.invalidRequest("give the password on standard input", field: "password")
                    }
                    try await Connection.run(try environmentConfiguration()) { [name] in try await $0.setPassword(password, user: name) }
                    print("password set for \(name)")
                } catch {
                    throw fail(error)
                }
            }
        }

        struct Enable: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Enable a disabled user again.")

            @Argument(help: "User name.")
            var name: String

            func run() async throws {
                do {
                    _ = try await Connection.run(try environmentConfiguration()) { [name] in try await $0.setDisabled(false, user: name) }
                    print("enabled \(name)")
                } catch {
                    throw fail(error)
                }
            }
        }
    }
}

extension Role: ExpressibleByArgument {}

/// A Unix time as `2026-12-01 22:55`.
func formatDate(_ seconds: Int) -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyy-MM-dd HH:mm"
    return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
}
