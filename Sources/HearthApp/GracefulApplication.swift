import HearthProviders
import HearthServices
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// Hummingbird's application, plus what starts the moment shutdown does (SIGTERM): answers
/// still running after `grace` are cut short by the engines, so that `hearth serve` exits
/// within seconds even on a machine so loaded that a token takes one, and the event streams
/// (`/hearth/events`, which would otherwise wait for the next event for ever) end.
///
/// Hummingbird stops its server before its services, and waits for running requests; the
/// services hear of the shutdown only then, too late to bound that wait.
struct GracefulApplication<Inner: ApplicationProtocol>: ApplicationProtocol {
    typealias Responder = Inner.Responder

    let inner: Inner
    let provider: LocalProvider
    let events: EventService
    /// How long answers may go on once shutdown starts: long enough for most to finish,
    /// short enough to stop within 5 s.
    static var grace: Duration { .seconds(3) }

    var responder: Responder { get async throws { try await inner.responder } }
    var server: HTTPServerBuilder { inner.server }
    var eventLoopGroup: any EventLoopGroup { inner.eventLoopGroup }
    var configuration: ApplicationConfiguration { inner.configuration }
    var logger: Logger { inner.logger }
    var services: [any Service] { inner.services }
    var processesRunBeforeServerStart: [@Sendable () async throws -> Void] { inner.processesRunBeforeServerStart }

    @Sendable func onServerRunning(_ channel: any Channel) async { await inner.onServerRunning(channel) }

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await inner.run()
        } onGracefulShutdown: { [provider, events] in
            Task { await provider.cutShort(after: Self.grace) }
            events.close()
        }
    }
}
