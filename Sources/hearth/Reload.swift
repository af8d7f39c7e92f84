import ArgumentParser
import HearthWire

extension Hearth {
    struct Reload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make the server read config.toml again (as SIGHUP does) without dropping requests.",
            discussion: """
                Asks the server at HEARTH_HOST (default 127.0.0.1:8420) as an administrator.
                Requests already routed finish where they are; new ones follow the file. A file
                with a mistake is refused with the reason, and the routes in use stay.

                Example:
                  hearth reload
                """)

        @OptionGroup var server: ServerFlags

        func run() async throws {
            let reload: GatewayReload
            do {
                reload = try await server.client().reload()
            } catch {
                throw fail(error)
            }
            print("providers: \(reload.providers.joined(separator: ", "))")
            print("routed models: \(reload.models.isEmpty ? "none" : reload.models.joined(separator: ", "))")
        }
    }
}
