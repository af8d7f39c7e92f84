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
                  hearth users limit alice --tokens-per-day 500000
                """,
            subcommands: [List.self, Add.self, Disable.self, Enable.self, Password.self, Limit.self], defaultSubcommand: List.self)

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
                abstract: "Set a user's password for signing in.",
                discussion: """
                    On a terminal the password is asked for twice, without echo; otherwise it is
                    read from standard input (one line).

                    Examples:
                      hearth users passwd alice
                      read -rs PASSWORD && echo "$PASSWORD" | hearth users passwd alice
                    """)

            @Argument(help: "User name.")
            var name: String

            func run() async throws {
                do {
                    let password = try readPassword(prompt: "New password for \(name): ", confirming: true)
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

/// A password: typed at `prompt` without echo when standard input is a terminal (twice when
/// `confirming`), else one line of standard input.
/// - Throws: `HearthError.invalidRequest` when none is given or the two differ.
func readPassword(prompt: String, confirming: Bool = false) throws -> String {
    guard isatty(STDIN_FILENO) == 1 else {
        guard let password = readLine(strippingNewline: true), !password.isEmpty else {
            throw HearthError.invalidRequest("give the password on standard input", field: "password")
        }
        return password
    }
    let password = askWithoutEcho(prompt)
    guard !password.isEmpty else { throw HearthError.invalidRequest("no password given", field: "password") }
    if confirming, askWithoutEcho("Again: ") != password {
        throw HearthError.invalidRequest("the two passwords differ", field: "password")
    }
    return password
}

/// One line typed at the terminal after `prompt` (on standard error), not echoed; "" at the end of input.
private func askWithoutEcho(_ prompt: String) -> String {
    FileHandle.standardError.write(Data(prompt.utf8))
    var saved = termios()
    let canSilence = tcgetattr(STDIN_FILENO, &saved) == 0
    if canSilence {
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
    }
    defer {
        if canSilence { tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved) }
        // The newline the user typed was not echoed either.
        FileHandle.standardError.write(Data("\n".utf8))
    }
    return readLine(strippingNewline: true) ?? ""
}

/// A Unix time as `2026-12-01 22:55`.
func formatDate(_ seconds: Int) -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyy-MM-dd HH:mm"
    return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
}
