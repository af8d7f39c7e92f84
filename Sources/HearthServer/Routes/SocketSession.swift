import Foundation
import HTTPTypes
import HearthCore
import HearthServices
import HearthWire
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import Synchronization

/// One open `/hearth/ws`: reads the client's messages, keeps its subscription and its chats,
/// and writes what they produce as it comes (`SocketWire`). Each chat goes through the HTTP
/// routes as `POST /v1/chat/completions` with the upgrade's credentials: it is signed in,
/// limited, logged, cached and kept exactly as over HTTP. Everything stops when the socket
/// closes.
final class SocketSession: Sendable {
    private let principal: Principal
    /// The upgrade request, whose credentials each chat presents.
    private let upgrade: Request
    private let channel: any Channel
    private let outbound: WebSocketOutboundWriter
    private let events: EventService
    private let http: @Sendable (Request, HearthRequestContext) async throws -> Response
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var subscription: Task<Void, Never>?
        var chats: [String: Task<Void, Never>] = [:]
    }

    /// How often the socket checks that its sign-in still holds.
    static let recheckInterval = Duration.seconds(30)
    /// Chats one socket may run at once.
    static let maxChats = 16

    init(
        principal: Principal, upgrade: Request, channel: any Channel, outbound: WebSocketOutboundWriter, events: EventService,
        http: @escaping @Sendable (Request, HearthRequestContext) async throws -> Response, logger: Logger
    ) {
        self.principal = principal
        self.upgrade = upgrade
        self.channel = channel
        self.outbound = outbound
        self.events = events
        self.http = http
        self.logger = logger
    }

    /// Serves `messages` until the client closes the socket or `stillSignedIn` (asked every
    /// `recheckInterval`) says no; then stops the subscription and every chat.
    func run(_ messages: WebSocketInboundMessageStream, stillSignedIn: @escaping @Sendable () async -> Bool) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                while (try? await Task.sleep(for: Self.recheckInterval)) != nil {
                    guard await stillSignedIn() else {
                        await send(error: HearthError(.unauthorized, "the sign-in of this socket has ended"), id: nil)
                        try? await outbound.close(.policyViolation, reason: "signed out")
                        return
                    }
                }
            }
            do {
                for try await message in messages {
                    guard case .text(let text) = message else {
                        await send(error: HearthError.invalidRequest("messages are JSON text"), id: nil)
                        continue
                    }
                    await handle(text)
                }
            } catch {
                logger.debug("socket closed", metadata: ["error": "\(error)"])
            }
            group.cancelAll()
        }
        let tasks = state.withLock { state in
            defer { state = State() }
            return [state.subscription].compactMap { $0 } + Array(state.chats.values)
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    private func handle(_ text: String) async {
        do {
            let message = try SocketWire.message(text)
            switch message.type {
            case "subscribe": try await subscribe(message.topics.map { try EventService.topics($0) })
            case "unsubscribe": state.withLock { $0.subscription.take() }?.cancel()
            case "chat": try chat(id: message.id, body: message.body)
            case "cancel": try cancel(id: message.id)
            case "ping": try await write(SocketWire.pong)
            default:
                throw HearthError.invalidRequest(
                    "unknown message type '\(message.type)': subscribe, unsubscribe, chat, cancel or ping", field: "type")
            }
        } catch {
            await send(error: error, id: nil)
        }
    }

    // MARK: - Events

    private func subscribe(_ topics: Set<String>?) async throws {
        state.withLock { $0.subscription.take() }?.cancel()
        try await write(SocketWire.subscribed((topics ?? HearthEvent.topics).sorted()))
        let stream = events.events(topics: topics, by: principal)
        let task = Task { [self] in
            for await event in stream {
                guard let json = try? EventWire.json(event) else { continue }
                do { try await write(SocketWire.event(json)) } catch { return }
            }
        }
        state.withLock { $0.subscription = task }
    }

    // MARK: - Chats

    private func chat(id: String?, body: JSONValue?) throws {
        guard let id, !id.isEmpty, id.utf8.count <= 128 else {
            throw HearthError.invalidRequest("a chat needs an 'id' (up to 128 characters) that its messages carry", field: "id")
        }
        guard case .object(var object) = body else {
            throw HearthError.invalidRequest("'body' must be a chat completion request (an object)", field: "body")
        }
        object["stream"] = .bool(true)
        let request = chatRequest(ByteBuffer(bytes: try JSONEncoder().encode(JSONValue.object(object))))
        try state.withLock { state in
            guard state.chats[id] == nil else { throw HearthError.invalidRequest("chat '\(id)' is still running", field: "id") }
            guard state.chats.count < Self.maxChats else {
                throw HearthError(.rateLimited, "a socket runs at most \(Self.maxChats) chats at once")
            }
            state.chats[id] = Task { [self] in
                await run(request, id: id)
                _ = self.state.withLock { $0.chats.removeValue(forKey: id) }
            }
        }
    }

    private func cancel(id: String?) throws {
        guard let id else { throw HearthError.invalidRequest("'cancel' needs the 'id' of a chat", field: "id") }
        state.withLock { $0.chats[id] }?.cancel()
    }

    /// `POST /v1/chat/completions` with `body` and the upgrade's credentials. The socket was
    /// opened by a page of this server (or no page), so it may change things as the page can.
    private func chatRequest(_ body: ByteBuffer) -> Request {
        var fields: HTTPFields = [.contentType: "application/json", .accept: "text/event-stream", SessionCookie.csrfHeader: "1"]
        for name in [HTTPField.Name.authorization, .cookie, .origin, .userAgent] {
            if let value = upgrade.headers[name] { fields[name] = value }
        }
        let head = HTTPRequest(
            method: .post, scheme: upgrade.head.scheme, authority: upgrade.head.authority, path: "/v1/chat/completions",
            headerFields: fields)
        return Request(head: head, body: RequestBody(buffer: body))
    }

    /// Runs one chat to its end, its chunks written as they come.
    private func run(_ request: Request, id: String) async {
        do {
            let response = try await http(request, HearthRequestContext(source: .init(channel: channel, logger: logger)))
            guard response.status == .ok else {
                let collected = Collected()
                try await response.body.write(collected)
                let detail =
                    (try? WireDecoder.decode(OpenAI.ErrorBody.self, from: Data(collected.bytes.readableBytesView))).map(\.error)
                    ?? .init(message: response.status.reasonPhrase, type: "server_error", param: nil, code: nil)
                try await write(SocketWire.error(id: id, status: response.status.code, detail))
                return
            }
            let conversation = HTTPField.Name(ConversationWire.header).flatMap { response.headers[$0] }
            try await write(SocketWire.chatStart(id: id, conversation: conversation))
            try await response.body.write(Chunks(id: id, session: self))
            await end(id)
        } catch {
            if Task.isCancelled { await end(id) } else { await send(error: error, id: id) }
        }
    }

    /// `chat.end`, even from the chat's cancelled task (the writer refuses those).
    private func end(_ id: String) async {
        let cancelled = Task.isCancelled
        await Task { try? await write(SocketWire.chatEnd(id: id, cancelled: cancelled)) }.value
    }

    /// A chat's event stream, each event a `chat.chunk` (an error in it, an `error`).
    private struct Chunks: ResponseBodyWriter {
        let id: String
        let session: SocketSession
        var parser = ServerSentEvents.Parser()

        mutating func write(_ buffer: ByteBuffer) async throws {
            for payload in parser.feed(String(buffer: buffer)) where payload != "[DONE]" {
                if payload.hasPrefix(#"{"error""#), let body = try? WireDecoder.decode(OpenAI.ErrorBody.self, from: Data(payload.utf8)) {
                    try await session.write(SocketWire.error(id: id, status: nil, body.error))
                } else {
                    try await session.write(SocketWire.chatChunk(id: id, json: payload))
                }
            }
        }

        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    /// An error answer's body.
    private final class Collected: ResponseBodyWriter {
        var bytes = ByteBuffer()
        func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            bytes.writeBuffer(&buffer)
        }
        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    // MARK: - Writing

    private func write(_ text: String) async throws { try await outbound.write(.text(text)) }

    private func send(error: any Error, id: String?) async {
        let error = APIError(error)
        try? await write(SocketWire.error(id: id, status: Int(error.status.code), error.body.error))
    }
}
