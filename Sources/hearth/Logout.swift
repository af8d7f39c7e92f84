import ArgumentParser
import Foundation
import HearthClient
import HearthCore

extension Hearth {
    /// `hearth logout`: revokes the stored session token and deletes its file.
    struct Logout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End the session of `hearth login`: on the server, then on this machine.",
            discussion: """
                Revokes the stored session token on the server, then deletes the token file
                ($XDG_CONFIG_HOME/hearth/token, or $HEARTH_HOME/token). A session that had
                already ended (expired, or its user disabled) is just forgotten. When the server
                cannot be reached, the file is kept so that you can try again.

                Examples:
                  hearth logout
                  HEARTH_HOST=hearth.lan:8420 hearth logout
                """)

        func run() async throws {
            do {
                let configuration = try environmentConfiguration()
                let file = configuration.paths.sessionToken
                // A token others could read is exactly one to revoke: its mode is not checked here.
                guard let session = try HearthClient.storedSession(at: file, requiringPrivateMode: false) else {
                    print("not signed in")
                    return
                }
                // Ended where it was issued, whatever HEARTH_HOST says now.
                var issuer = configuration
                issuer.address = try ServerAddress(parsing: session.server)
                let ended = try await Self.revoke(session.token, issuer, file: file)
                try HearthClient.forgetSession(at: file)
                print(ended ? "signed out" : "signed out (the session had already ended)")
            } catch {
                throw fail(error)
            }
        }

        /// Ends `token`'s session on the server; false when it had already ended there.
        /// - Throws: `HearthError` when no server answers (saying that `file` is kept) or refuses otherwise.
        private static func revoke(_ token: String, _ configuration: Configuration, file: URL) async throws -> Bool {
            do {
                try await Connection.run(configuration) { try await $0.logout(session: token) }
                return true
            } catch let error as HearthError where error.code == .unauthorized {
                return false
            } catch let error as HearthError where error.code == .unreachable {
                throw HearthError(
                    error.code, error.message + "; \(file.path) is kept: run hearth logout again when the server answers")
            }
        }
    }
}
