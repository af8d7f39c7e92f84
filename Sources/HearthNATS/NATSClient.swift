import Foundation
import HearthCore
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A client of one NATS server (`nats://[token@ | user:password@]host[:port]`): publish,
/// subscribe (with queue groups), request and reply, headers. When the connection is lost it
/// connects again, with a pause growing from 100 ms to 5 s, and subscribes again to what it
/// had; publishing while it is away fails at once.
public final class NATSClient: Sendable {
    public struct Address: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var token: String?
        public var user: String?
        public var password: String?

        /// - Throws: `HearthError.invalidRequest` for a URL that is not `nats://…` (TLS is
        ///   not supported: use a tunnel or a private network).
        public init(url: String) throws {
            guard let parts = URLComponents(string: url), parts.scheme == "nats", let host = parts.host, !host.isEmpty else {
                throw HearthError.invalidRequest(
                    "HEARTH_NATS_URL must look like nats://[token@ | user:password@]host[:port]", field: "HEARTH_NATS_URL")
            }
            self.host = host
            self.port = parts.port ?? 4222
            let user = parts.user?.removingPercentEncoding
            if let password = parts.password?.removingPercentEncoding {
                (self.user, self.password) = (user, password)
            } else {
                token = user
            }
        }

        /// `host:port`, never the credentials.
        public var shown: String { "\(host):\(port)" }
    }

    public let address: Address
    private let logger: Logger
    private let state = Mutex(State())
    private let inbox = "_INBOX." + randomID()

    private struct State {
        var channel: (any Channel)?
        var subscriptions: [Int: Subscription] = [:]
        var nextSID = 1
        var waiting: [String: CheckedContinuation<NATSMessage, any Error>] = [:]
        var inboxSID: Int?
        var flushes: [CheckedContinuation<Void, any Error>] = []
        var closed = false
        var reconnecting: Task<Void, Never>?
    }

    private struct Subscription {
        var subject: String
        var queue: String?
        var continuation: AsyncStream<NATSMessage>.Continuation?
    }

    private init(address: Address, logger: Logger) {
        self.address = address
        self.logger = logger
    }

    /// Connects to the server at `url`.
    /// - Throws: `HearthError.unavailable` when it cannot be reached in `timeout` or refuses
    ///   the credentials.
    public static func connect(
        to url: String, timeout: Duration = .seconds(5), logger: Logger = Logger(label: "hearth.nats")
    ) async throws -> NATSClient {
        let client = NATSClient(address: try Address(url: url), logger: logger)
        let channel = try await client.open(timeout: timeout)
        client.state.withLock { $0.channel = channel }
        return client
    }

    // MARK: - Publishing

    /// Publishes `payload` on `subject`.
    /// - Throws: `HearthError.invalidRequest` for an invalid subject; `.unavailable` while
    ///   the server is away.
    public func publish(
        _ payload: [UInt8], to subject: String, replyTo: String? = nil, headers: [(name: String, value: String)] = []
    ) throws {
        guard NATSWire.isValid(subject), !subject.contains("*"), !subject.contains(">") else {
            throw HearthError.invalidRequest("'\(subject.prefix(80))' is not a subject to publish to")
        }
        var buffer = ByteBufferAllocator().buffer(capacity: payload.count + 64)
        NATSWire.publish(NATSMessage(subject: subject, replyTo: replyTo, headers: headers, payload: payload), into: &buffer)
        try write(buffer)
    }

    /// Answers `message` (a request) with `payload`; nothing when it expects no answer.
    public func reply(to message: NATSMessage, with payload: [UInt8], headers: [(name: String, value: String)] = []) throws {
        guard let replyTo = message.replyTo else { return }
        try publish(payload, to: replyTo, headers: headers)
    }

    /// Sends `payload` on `subject` and waits for the first answer.
    /// - Throws: `HearthError.unavailable` when no one subscribes to `subject`, or the
    ///   server is away; `.timeout`-like `.unavailable` when no answer comes in `timeout`.
    public func request(
        _ payload: [UInt8], to subject: String, headers: [(name: String, value: String)] = [], timeout: Duration = .seconds(30)
    ) async throws -> NATSMessage {
        try subscribeInbox()
        let token = randomID()
        let timer = Mutex<Task<Void, any Error>?>(nil)
        defer { timer.withLock { $0?.cancel() } }
        let answer: NATSMessage = try await withCheckedThrowingContinuation { continuation in
            state.withLock { $0.waiting[token] = continuation }
            timer.withLock { timer in
                timer = Task { [weak self] in
                    try await Task.sleep(for: timeout)
                    self?.state.withLock { $0.waiting.removeValue(forKey: token) }?
                        .resume(throwing: HearthError(.unavailable, "no answer on '\(subject)' within \(timeout)"))
                }
            }
            do {
                try publish(payload, to: subject, replyTo: "\(inbox).\(token)", headers: headers)
            } catch {
                state.withLock { $0.waiting.removeValue(forKey: token) }?.resume(throwing: error)
            }
        }
        if answer.status == 503 { throw HearthError(.unavailable, "no one answers on '\(subject)'") }
        return answer
    }

    // MARK: - Subscribing

    /// The messages published on `subject` (`*` matches one token, `>` the rest) from now
    /// until the stream is dropped or `unsubscribe(_:)`; with `queue`, each message goes to
    /// one member of the group.
    public func subscribe(to subject: String, queue: String? = nil) throws -> (sid: Int, messages: AsyncStream<NATSMessage>) {
        guard NATSWire.isValid(subject) else { throw HearthError.invalidRequest("'\(subject.prefix(80))' is not a subject") }
        let (stream, continuation) = AsyncStream<NATSMessage>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let sid = state.withLock { state in
            let sid = state.nextSID
            state.nextSID += 1
            state.subscriptions[sid] = Subscription(subject: subject, queue: queue, continuation: continuation)
            return sid
        }
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(sid) }
        try? write(ByteBuffer(string: Self.sub(subject, queue: queue, sid: sid)))
        return (sid, stream)
    }

    /// Ends the subscription `sid`.
    public func unsubscribe(_ sid: Int) {
        guard let subscription = state.withLock({ $0.subscriptions.removeValue(forKey: sid) }) else { return }
        subscription.continuation?.finish()
        try? write(ByteBuffer(string: "UNSUB \(sid)\r\n"))
    }

    /// Waits until the server has read everything sent so far (a PING answered).
    public func flush() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let channel: (any Channel)? = state.withLock { state in
                guard let channel = state.channel else { return nil }
                state.flushes.append(continuation)
                return channel
            }
            guard let channel else {
                return continuation.resume(throwing: HearthError(.unavailable, "NATS at \(address.shown) is unreachable"))
            }
            channel.writeAndFlush(ByteBuffer(string: "PING\r\n"), promise: nil)
        }
    }

    /// Closes the connection and ends every subscription.
    public func close() {
        let (channel, subscriptions, waiting, flushes, reconnecting) = state.withLock { state in
            state.closed = true
            defer {
                state.subscriptions = [:]
                state.waiting = [:]
                state.flushes = []
            }
            return (state.channel, state.subscriptions, state.waiting, state.flushes, state.reconnecting)
        }
        reconnecting?.cancel()
        channel?.close(promise: nil)
        for subscription in subscriptions.values { subscription.continuation?.finish() }
        let gone = HearthError(.unavailable, "the NATS client was closed")
        for continuation in waiting.values { continuation.resume(throwing: gone) }
        for continuation in flushes { continuation.resume(throwing: gone) }
    }

    // MARK: - The connection

    private static func sub(_ subject: String, queue: String?, sid: Int) -> String {
        "SUB \(subject)\(queue.map { " " + $0 } ?? "") \(sid)\r\n"
    }

    private func write(_ buffer: ByteBuffer) throws {
        guard let channel = state.withLock({ $0.channel }), channel.isActive else {
            throw HearthError(.unavailable, "NATS at \(address.shown) is unreachable; retrying shortly")
        }
        channel.writeAndFlush(buffer, promise: nil)
    }

    /// Subscribes to this client's inbox once, for the answers of requests.
    private func subscribeInbox() throws {
        let sid: Int? = state.withLock { state in
            guard state.inboxSID == nil else { return nil }
            let sid = state.nextSID
            state.nextSID += 1
            state.inboxSID = sid
            state.subscriptions[sid] = Subscription(subject: inbox + ".*", queue: nil, continuation: nil)
            return sid
        }
        if let sid { try write(ByteBuffer(string: Self.sub(inbox + ".*", queue: nil, sid: sid))) }
    }

    /// A new connection, past the handshake, subscribed to what this client subscribes to.
    private func open(timeout: Duration) async throws -> any Channel {
        let handshake = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
        let connect = connectCommand()
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: handshake.futureResult.eventLoop)
                .connectTimeout(.milliseconds(Int64(timeout.seconds * 1000)))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { [weak self] channel in
                    let received: @Sendable (NATSFrame) -> Void = { [weak self] in self?.received($0) }
                    let lost: @Sendable () -> Void = { [weak self] in self?.lost() }
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers([
                            ByteToMessageHandler(NATSDecoder()),
                            NATSHandler(connect: connect, handshake: handshake, received: received, lost: lost),
                        ])
                    }
                }
                .connect(host: address.host, port: address.port).get()
        } catch {
            handshake.fail(error)
            throw HearthError(.unavailable, "NATS at \(address.shown) is unreachable", detail: "\(error)")
        }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await handshake.futureResult.get() }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw HearthError(.unavailable, "NATS at \(self.address.shown) did not answer in \(timeout)")
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            channel.close(promise: nil)
            if let error = error as? HearthError { throw error }
            throw HearthError(.unavailable, "NATS at \(address.shown) refused the connection: \(error)")
        }
        let subscriptions = state.withLock { $0.subscriptions }
        var buffer = channel.allocator.buffer(capacity: 256)
        for (sid, subscription) in subscriptions.sorted(by: { $0.key < $1.key }) {
            buffer.writeString(Self.sub(subscription.subject, queue: subscription.queue, sid: sid))
        }
        if buffer.readableBytes > 0 { try await channel.writeAndFlush(buffer) }
        return channel
    }

    private func connectCommand() -> String {
        var options: [String: Any] = [
            "verbose": false, "pedantic": false, "headers": true, "no_responders": true, "protocol": 1, "name": "hearth",
            "lang": "swift", "version": "1",
        ]
        if let token = address.token { options["auth_token"] = token }
        if let user = address.user { options["user"] = user }
        if let password = address.password { options["pass"] = password }
        let json = (try? JSONSerialization.data(withJSONObject: options, options: [.sortedKeys])) ?? Data("{}".utf8)
        return "CONNECT \(String(decoding: json, as: UTF8.self))\r\nPING\r\n"
    }

    private func received(_ frame: NATSFrame) {
        switch frame {
        case .message(let message, let sid):
            let (subscription, isInbox) = state.withLock { ($0.subscriptions[sid], $0.inboxSID == sid) }
            if isInbox {
                let token = String(message.subject.split(separator: ".").last ?? "")
                state.withLock { $0.waiting.removeValue(forKey: token) }?.resume(returning: message)
            } else {
                subscription?.continuation?.yield(message)
            }
        case .pong:
            let waiting = state.withLock { state in state.flushes.isEmpty ? nil : state.flushes.removeFirst() }
            waiting?.resume()
        case .error(let text):
            logger.warning("NATS said an error", metadata: ["hearth.nats": "\(address.shown)", "error": "\(text)"])
        case .info, .ping, .ok:
            break
        }
    }

    /// The connection was lost: connect again, pausing longer after each failure.
    private func lost() {
        let flushes = state.withLock { state in
            state.channel = nil
            defer { state.flushes = [] }
            return state.flushes
        }
        for continuation in flushes { continuation.resume(throwing: HearthError(.unavailable, "the connection to NATS was lost")) }
        let task = Task { [weak self] in
            var pause = Duration.milliseconds(100)
            while let self, !Task.isCancelled, !self.state.withLock({ $0.closed }) {
                try? await Task.sleep(for: pause)
                do {
                    let channel = try await self.open(timeout: .seconds(5))
                    let closed = self.state.withLock { state in
                        if !state.closed { state.channel = channel }
                        return state.closed
                    }
                    if closed { channel.close(promise: nil) }
                    self.logger.info("connected to NATS again", metadata: ["hearth.nats": "\(self.address.shown)"])
                    return
                } catch {
                    pause = min(pause * 2, .seconds(5))
                }
            }
        }
        state.withLock { state in
            if state.closed { task.cancel() } else { state.reconnecting = task }
        }
    }
}

/// Turns bytes into NATS frames.
struct NATSDecoder: ByteToMessageDecoder {
    typealias InboundOut = NATSFrame

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try NATSWire.read(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(NIOAny(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}

/// Says hello (CONNECT once the server's INFO came), answers the server's PINGs, and hands
/// every other frame on.
final class NATSHandler: ChannelInboundHandler {
    typealias InboundIn = NATSFrame
    typealias OutboundOut = ByteBuffer

    private let connect: String
    private let handshake: EventLoopPromise<Void>
    private let received: @Sendable (NATSFrame) -> Void
    private let lost: @Sendable () -> Void
    private var ready = false

    init(
        connect: String, handshake: EventLoopPromise<Void>, received: @escaping @Sendable (NATSFrame) -> Void,
        lost: @escaping @Sendable () -> Void
    ) {
        self.connect = connect
        self.handshake = handshake
        self.received = received
        self.lost = lost
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame {
        case .ping:
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "PONG\r\n")), promise: nil)
        case .info where !ready:
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: connect)), promise: nil)
        case .pong where !ready:
            ready = true
            handshake.succeed()
        case .error(let text) where !ready:
            handshake.fail(HearthError(.unavailable, "NATS refused the connection: \(text)"))
            context.close(promise: nil)
        default:
            received(frame)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if ready {
            lost()
        } else {
            handshake.fail(ChannelError.ioOnClosedChannel)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
