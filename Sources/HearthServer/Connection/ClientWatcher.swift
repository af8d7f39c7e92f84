import Foundation
import HearthCore
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Notices when a client goes away: a channel handler on every connection that records the
/// end of its input (the client closed or reset the connection), so that a request which
/// answers only at the end (a non-streaming generation) is cancelled at once instead of
/// running to completion for nobody. Streams notice by failing to write.
final class ClientWatcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private struct State {
        var gone = false
        var waiters: [Int: CheckedContinuation<Void, any Error>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    /// The watcher of every open connection, by channel: a request finds its own without a
    /// trip to the connection's event loop.
    private static let watchers = Mutex<[ObjectIdentifier: ClientWatcher]>([:])

    func handlerAdded(context: ChannelHandlerContext) {
        Self.watchers.withLock { $0[ObjectIdentifier(context.channel)] = self }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        Self.watchers.withLock { $0[ObjectIdentifier(context.channel)] = nil }
    }

    /// The watcher on `channel`, if it has one.
    static func watcher(of channel: any Channel) -> ClientWatcher? {
        watchers.withLock { $0[ObjectIdentifier(channel)] }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed = event as? ChannelEvent { markGone() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        markGone()
        context.fireChannelInactive()
    }

    private func markGone() {
        let waiters = state.withLock { state in
            state.gone = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        waiters.forEach { $0.resume() }
    }

    /// Returns when the client has gone; throws `CancellationError` when cancelled first.
    private func waitUntilGone() async throws {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let resumeNow = state.withLock { state in
                    if state.gone || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    /// Runs `body`, cancelling it when the client of `channel` goes away (the request then
    /// ends with `CancellationError`, logged as 499). Without a watcher on the channel (router
    /// tests), just runs it.
    static func cancellingOnDisconnect<T: Sendable>(
        _ channel: any Channel, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        guard let watcher = watcher(of: channel) else { return try await body() }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await watcher.waitUntilGone()
                return nil
            }
            defer { group.cancelAll() }
            guard let value = try await group.next(), let value else { throw CancellationError() }
            return value
        }
    }
}

extension HTTPServer {
    /// HTTP/1.1 with a `ClientWatcher` on every connection, and WebSocket upgrades answered by
    /// `webSockets` (`socketRouter`), whose frames may be as large as a request body (a
    /// browser sends a message in one frame). A socket that answers no ping for `pingEvery`
    /// is closed as dead.
    public static func http1(
        webSockets: Router<HearthSocketContext>, maxBodyBytes: Int, pingEvery: Duration = .seconds(30)
    ) -> HTTPServerBuilder {
        .http1WebSocketUpgrade(
            webSocketRouter: webSockets,
            configuration: .init(
                http1: HTTP1Channel.Configuration(additionalChannelHandlers: [ClientWatcher()]),
                ws: .init(maxFrameSize: maxBodyBytes, autoPing: .enabled(timePeriod: pingEvery))))
    }
}
