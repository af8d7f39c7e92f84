import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The context of a WebSocket upgrade (`/hearth/ws`): the connection, and the handler the
/// route picked for it. Who is asking is found once the socket is open (`SocketRoutes`), so
/// that a refusal reaches the client as a message and a close reason, not a bare 400.
public struct HearthSocketContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// The connection the upgrade came on.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}
