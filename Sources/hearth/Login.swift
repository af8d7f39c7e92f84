import ArgumentParser
import Foundation
import HearthClient
import HearthCore
import HearthWire

extension Hearth {
    /// `hearth login`: signs in with a password and keeps the session token for later commands.
    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign in with your password; later commands send the session for you.",
            discussion: """
                The password is asked for without echo on a terminal; otherwise it is read from
                standard input (one line). The session lasts 12 hours. Its token is kept in
                $XDG_CONFIG_HOME/hearth/token ($HEARTH_HOME/token when HEARTH_HOME is set), a
                file only you may read (mode 600); a file others may read is refused. When
                HEARTH_API_KEY (or HEARTH_API_KEYS) is set, commands send that key instead.

                Examples:
                  hearth login                          # as $USER
                  hearth login --user alice
                  read -rs PASSWORD && echo "$PASSWORD" | hearth login --user alice
                  hearth logout                         # ends the session
                """)

        @Option(help: "User name (default: $USER).")
        var user: String?

        func validate() throws {
            if let user, user.isEmpty { throw ValidationError("--user must not be empty") }
            if user == nil, Self.localUser == nil { throw ValidationError("$USER is not set: give --user NAME") }
        }

        func run() async throws {
            do {
                let name = user ?? Self.localUser ?? ""
                let configuration = try environmentConfiguration()
                let password = try readPassword(prompt: "Password for \(name): ")
                let session = try await Connection.run(configuration) { try await $0.login(name, password: password) }
                try HearthClient.storeSession(session.token, server: configuration.address.url, at: configuration.paths.sessionToken)
                print("signed in as \(session.user) until \(formatDate(session.expiresAt))")
                if configuration.keyToSend != nil {
                    let note = "(HEARTH_API_KEY or HEARTH_API_KEYS is set: commands send that key, not this session, until it is unset)\n"
                    FileHandle.standardError.write(Data(note.utf8))
                }
            } catch {
                throw fail(error)
            }
        }

        /// This machine's user name (`$USER`, else `$LOGNAME`), the default Hearth user.
        static var localUser: String? {
            let environment = ProcessInfo.processInfo.environment
            return [environment["USER"], environment["LOGNAME"]].compactMap { $0 }.first { !$0.isEmpty }
        }
    }
}
