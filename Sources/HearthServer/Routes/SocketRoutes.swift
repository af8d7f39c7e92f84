import Foundation
import HearthCore
import HearthServices
import HearthWire
import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// `GET /hearth/ws`: events by topic and streamed chats over one WebSocket (the messages are
/// in `SocketWire`; `SocketSession` serves an open socket). `GET /hearth/listen`: audio in,
/// the wake word and what follows it out (`ListenSession`). The upgrade signs in as any
/// request does (a key, or the session cookie of a page of this server) and counts against
/// the key's request rate. Refused sockets open, say why in an `error` message and close
/// with code 1008, so that the reason reaches the client (a refused upgrade would be a bare 400).
struct SocketRoutes: Sendable {
    let auth: AuthMiddleware
    let limits: LimitService
    let events: EventService
    let speech: SpeechService
    /// The HTTP routes, which serve each chat.
    let http: @Sendable (Request, HearthRequestContext) async throws -> Response
    let maxMessageBytes: Int
    /// How often an open socket checks that its sign-in still holds.
    var recheck = Duration.seconds(30)

    func add(to router: Router<HearthSocketContext>) {
        router.ws("/hearth/ws") { inbound, outbound, context in
            let (request, channel) = (context.request, context.requestContext.channel)
            let principal: Principal
            do {
                principal = try await signIn(request, on: channel)
            } catch {
                let refusal = APIError(error)
                try? await outbound.write(.text(SocketWire.error(id: nil, status: Int(refusal.status.code), refusal.body.error)))
                // 1013 "try again later" for a rate limit; 1008 for a sign-in refused (do not retry).
                let reason = String(refusal.message.prefix(120))
                if refusal.status == .tooManyRequests {
                    try? await outbound.close(.unknown(1013), reason: reason)
                } else {
                    try? await outbound.close(.policyViolation, reason: reason)
                }
                return
            }
            let session = SocketSession(
                principal: principal, upgrade: request, channel: channel, outbound: outbound, events: events, http: http,
                logger: context.logger)
            let opened = ContinuousClock.now
            await session.run(inbound.messages(maxSize: maxMessageBytes), recheck: recheck) {
                await stillSignedIn(request, on: channel, as: principal)
            }
            context.logger.info(
                "socket closed",
                metadata: [
                    "hearth.principal": "\(principal.name)", "hearth.route": "/hearth/ws",
                    "hearth.seconds": "\(Int((ContinuousClock.now - opened).seconds))",
                ])
        }
    }

    /// `GET /hearth/listen?wake=hey-jarvis&model=…&language=…`: see `ListenSession`.
    func addListening(to router: Router<HearthSocketContext>) {
        router.ws("/hearth/listen") { inbound, outbound, context in
            let (request, channel) = (context.request, context.requestContext.channel)
            let query = request.uri.queryParameters
            let wake = query["wake"].map(String.init)
            await ListenSession(outbound: outbound, logger: context.logger).run(
                inbound.messages(maxSize: maxMessageBytes), wakeWord: wake ?? "hey-jarvis"
            ) {
                let principal = try await signIn(request, on: channel)
                let ask = SpeechService.Request(
                    model: query["model"].map(String.init), language: query["language"].map(String.init),
                    prompt: query["prompt"].map(String.init))
                return try await speech.listener(wake: wake, ask, by: principal)
            }
        }
    }

    /// The one the socket is for.
    /// - Throws: what signing in throws; `HearthError.forbidden` for a page of another site.
    private func signIn(_ request: Request, on channel: any Channel) async throws -> Principal {
        let principal = try await auth.principal(of: request, on: channel)
        // WebSockets have no CORS: a page of another site could open one with the browser's
        // cookie and read everything. Only a client holding a key may come from elsewhere.
        // A browser's Origin is the page's (http or https); a ws:// or wss:// one comes from a
        // WebSocket client that is not a browser (Hearth's own sends the server's address).
        let pages = request.headers[values: .origin].filter { !$0.lowercased().hasPrefix("ws://") && !$0.lowercased().hasPrefix("wss://") }
        if request.headers[.authorization] == nil, pages.contains(where: { !AuthMiddleware.isSameOrigin($0, as: request.head.authority) }) {
            throw HearthError(.forbidden, "open \(request.uri.path) from a page of this server, or with a key")
        }
        _ = try await limits.admit(principal)
        return principal
    }

    /// Whether the socket's credentials still sign in the same user with the same key: a
    /// session signed out, a key revoked or a user disabled ends the socket; a change of the
    /// user's limits or a passing failure of the store does not.
    private func stillSignedIn(_ request: Request, on channel: any Channel, as principal: Principal) async -> Bool {
        do {
            let now = try await auth.principal(of: request, on: channel)
            return now.user?.id == principal.user?.id && now.key?.id == principal.key?.id && now.role == principal.role
        } catch let error as HearthError where error.code == .unauthorized || error.code == .forbidden {
            return false
        } catch {
            return true
        }
    }

    /// `GET /hearth/ws` without an upgrade: a clear error instead of a 404.
    static func addRefusal(to router: Router<HearthRequestContext>) {
        router.get("/hearth/ws") { _, _ -> Response in
            throw HearthError.invalidRequest("/hearth/ws is a WebSocket: connect with 'Upgrade: websocket'")
        }
    }
}
