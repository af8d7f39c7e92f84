import HearthCore
import NIOCore
import NIOPosix

/// One connection to Redis. Commands are pipelined: each is written at once and its reply
/// taken in order, so many callers share the connection without waiting on each other.
/// Pushed values (published messages) go to `onPush`.
final class RedisConnection: Sendable {
    private let channel: any Channel
    let address: String

    private init(channel: any Channel, address: String) {
        self.channel = channel
        self.address = address
    }

    /// Connects to `host:port` and says hello in RESP3 (authenticating when `user`/`password`
    /// are given), then selects `database`.
    /// - Throws: `HearthError.unavailable` when Redis cannot be reached in `timeout`, or
    ///   refuses the credentials.
    static func connect(
        host: String, port: Int, user: String?, password: String?, database: Int, timeout: Duration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onPush: @escaping @Sendable (RESPValue) -> Void = { _ in }
    ) async throws -> RedisConnection {
        let address = "\(host):\(port)"
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.milliseconds(Int64(timeout.seconds * 1000)))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers([
                            ByteToMessageHandler(RESPDecoder()), RedisHandler(onPush: onPush),
                        ])
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            throw HearthError(.unavailable, "Redis at \(address) is unreachable", detail: "\(error)")
        }
        let connection = RedisConnection(channel: channel, address: address)
        do {
            var hello = ["HELLO", "3"]
            if let password { hello += ["AUTH", user ?? "default", password] }
            _ = try await connection.send(hello + ["SETNAME", "hearth"])
            if database != 0 { _ = try await connection.send(["SELECT", String(database)]) }
        } catch {
            connection.close()
            if let error = error as? RedisError {
                throw HearthError(.unavailable, "Redis at \(address) refused the connection: \(error.message)")
            }
            throw error
        }
        return connection
    }

    /// Whether the connection is still open.
    var isActive: Bool { channel.isActive }

    /// Sends one command and waits for its reply.
    /// - Throws: `RedisError` for an error reply; `HearthError.unavailable` when the
    ///   connection is lost before the reply.
    func send(_ arguments: [String]) async throws -> RESPValue {
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        var buffer = channel.allocator.buffer(capacity: 64)
        RESP.write(arguments, into: &buffer)
        // A write the channel refuses (closed meanwhile) never reaches the handler: its reply
        // fails with it (a reply answered first is kept).
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { promise.fail($0) }
        channel.writeAndFlush(RedisHandler.Command(bytes: buffer, reply: promise), promise: written)
        let reply: RESPValue
        do {
            reply = try await promise.futureResult.get()
        } catch {
            throw HearthError(.unavailable, "the connection to Redis at \(address) was lost", detail: "\(error)")
        }
        if case .error(let message) = reply { throw RedisError(message: message) }
        return reply
    }

    /// Sends a command whose answer comes as pushed values (SUBSCRIBE), without waiting.
    func sendExpectingPush(_ arguments: [String]) {
        var buffer = channel.allocator.buffer(capacity: 64)
        RESP.write(arguments, into: &buffer)
        channel.writeAndFlush(RedisHandler.Command(bytes: buffer, reply: nil), promise: nil)
    }

    /// Waits until the connection closes.
    func closed() async { try? await channel.closeFuture.get() }

    func close() { channel.close(promise: nil) }
}

/// An error reply of Redis (`ERR …`, `NOSCRIPT …`, `WRONGTYPE …`).
public struct RedisError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

/// Turns bytes into RESP values.
struct RESPDecoder: ByteToMessageDecoder {
    typealias InboundOut = RESPValue

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let value = try RESP.read(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(NIOAny(value))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}

/// Writes commands and answers each one's promise with the next reply, in order.
final class RedisHandler: ChannelDuplexHandler {
    struct Command: Sendable {
        var bytes: ByteBuffer
        /// nil: the answer comes pushed.
        var reply: EventLoopPromise<RESPValue>?
    }

    typealias InboundIn = RESPValue
    typealias OutboundIn = Command
    typealias OutboundOut = ByteBuffer

    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
    private let onPush: @Sendable (RESPValue) -> Void

    init(onPush: @escaping @Sendable (RESPValue) -> Void) { self.onPush = onPush }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = unwrapOutboundIn(data)
        guard context.channel.isActive else {
            command.reply?.fail(ChannelError.ioOnClosedChannel)
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        if let reply = command.reply { waiting.append(reply) }
        context.write(wrapOutboundOut(command.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        if case .push = value {
            onPush(value)
        } else if let reply = waiting.popFirst() {
            reply.succeed(value)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reply that is not RESP leaves the rest of the stream unreadable.
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while let reply = waiting.popFirst() { reply.fail(error) }
    }
}
