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
    /// `recheck`) says no; then stops the subscription and every chat.
    func run(
        _ messages: WebSocketInboundMessageStream, recheck: Duration, stillSignedIn: @escaping @Sendable () async -> Bool
    ) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                while (try? await Task.sleep(for: recheck)) != nil {
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
        let message: SocketWire.ClientMessage
        do {
            message = try SocketWire.message(text)
        } catch {
            return await send(error: error, id: nil)
        }
        do {
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
            // A refused chat or cancel names the chat, so that its client stops waiting for it.
            await send(error: error, id: ["chat", "cancel"].contains(message.type) ? message.id : nil)
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
                let last = await run(request, id: id)
                // The id is free again before the client hears that the chat ended.
                _ = self.state.withLock { $0.chats.removeValue(forKey: id) }
                // Written from a task of its own: the writer refuses a cancelled task's writes.
                if let last { await Task { try? await write(last) }.value }
            }
        }
    }

    private func cancel(id: String?) throws {
        guard let id else { throw HearthError.invalidRequest("'cancel' needs the 'id' of a chat", field: "id") }
        guard let chat = state.withLock({ $0.chats[id] }) else { throw HearthError(.notFound, "no chat '\(id)' is running") }
        chat.cancel()
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

    /// Runs one chat, its chunks written as they come; returns its last message (`chat.end`,
    /// or the `error` that ends it), nil when an error in the stream already ended it.
    private func run(_ request: Request, id: String) async -> String? {
        do {
            let response = try await http(request, HearthRequestContext(source: .init(channel: channel, logger: logger)))
            guard response.status == .ok else {
                let collected = Collected()
                try await response.body.write(collected)
                let detail =
                    (try? WireDecoder.decode(OpenAI.ErrorBody.self, from: Data(collected.bytes.readableBytesView))).map(\.error)
                    ?? .init(message: response.status.reasonPhrase, type: "server_error", param: nil, code: nil)
                return SocketWire.error(id: id, status: response.status.code, detail)
            }
            let conversation = HTTPField.Name(ConversationWire.header).flatMap { response.headers[$0] }
            try await write(SocketWire.chatStart(id: id, conversation: conversation))
            let chunks = Chunks(id: id, session: self)
            try await response.body.write(chunks)
            return chunks.failed ? nil : SocketWire.chatEnd(id: id, cancelled: Task.isCancelled)
        } catch {
            if Task.isCancelled { return SocketWire.chatEnd(id: id, cancelled: true) }
            let failure = APIError(error)
            return SocketWire.error(id: id, status: Int(failure.status.code), failure.body.error)
        }
    }

    /// A chat's event stream, each event a `chat.chunk` (an error in it, an `error` that ends the chat).
    private final class Chunks: ResponseBodyWriter {
        let id: String
        let session: SocketSession
        var parser = ServerSentEvents.Parser()
        /// Whether an error ended the stream (and was sent).
        var failed = false

        init(id: String, session: SocketSession) {
            self.id = id
            self.session = session
        }

        func write(_ buffer: ByteBuffer) async throws {
            for payload in parser.feed(String(buffer: buffer)) where payload != "[DONE]" {
                if payload.hasPrefix(#"{"error""#), let body = try? WireDecoder.decode(OpenAI.ErrorBody.self, from: Data(payload.utf8)) {
                    failed = true
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
