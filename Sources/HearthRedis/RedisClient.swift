import Crypto
import Foundation
import HearthCore
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A client of one Redis server (`redis://[user:password@]host[:port][/db]`): a few pipelined
/// connections taken in turn, each opened when first needed and opened again after it is lost,
/// with a growing pause between failed attempts (so that a Redis that is down costs a request
/// one quick error, not a connection attempt each).
public final class RedisClient: Sendable {
    public struct Address: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var user: String?
        public var password: String?
        public var database: Int

        /// - Throws: `HearthError.invalidRequest` for a URL that is not `redis://…` (TLS,
        ///   `rediss://`, is not supported: use a tunnel or a private network).
        public init(url: String) throws {
            guard let parts = URLComponents(string: url), parts.scheme == "redis", let host = parts.host, !host.isEmpty else {
                throw HearthError.invalidRequest(
                    "HEARTH_REDIS_URL must look like redis://[user:password@]host[:port][/db]", field: "HEARTH_REDIS_URL")
            }
            let path = parts.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            guard path.isEmpty || Int(path) != nil else {
                throw HearthError.invalidRequest("the Redis URL's database must be a number, not '\(path)'", field: "HEARTH_REDIS_URL")
            }
            self.host = host
            self.port = parts.port ?? 6379
            // `redis://:password@host`: a password for the default user.
            self.user = parts.user.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
            self.password = parts.password?.removingPercentEncoding
            self.database = Int(path) ?? 0
        }

        /// `host:port`, never the credentials (for logs and errors).
        public var shown: String { "\(host):\(port)" + (database == 0 ? "" : "/\(database)") }
    }

    public let address: Address
    private let timeout: Duration
    private let logger: Logger
    private let slots: [Slot]
    private let turn = Atomic<Int>(0)
    private let subscriptions = Mutex<[Task<Void, Never>]>([])

    /// - Parameters:
    ///   - connections: how many connections requests are spread over.
    ///   - timeout: for connecting.
    public init(url: String, connections: Int = 4, timeout: Duration = .seconds(5), logger: Logger = Logger(label: "hearth.redis"))
        throws
    {
        self.address = try Address(url: url)
        self.timeout = timeout
        self.logger = logger
        self.slots = (0..<max(1, connections)).map { _ in Slot() }
    }

    /// Sends one command and returns its reply.
    /// - Throws: `RedisError` for an error reply; `HearthError.unavailable` when Redis cannot
    ///   be reached or the connection is lost before the reply (the command may have run).
    @discardableResult
    public func send(_ arguments: [String]) async throws -> RESPValue {
        let slot = slots[turn.wrappingAdd(1, ordering: .relaxed).oldValue % slots.count]
        return try await connection(of: slot).send(arguments)
    }

    @discardableResult
    public func send(_ arguments: String...) async throws -> RESPValue { try await send(arguments) }

    /// Runs `script` (by its digest, loading it the first time a server lacks it).
    public func run(_ script: RedisScript, keys: [String], arguments: [String]) async throws -> RESPValue {
        let rest = [String(keys.count)] + keys + arguments
        do {
            return try await send(["EVALSHA", script.digest] + rest)
        } catch let error as RedisError where error.message.hasPrefix("NOSCRIPT") {
            return try await send(["EVAL", script.source] + rest)
        }
    }

    /// Publishes `message` on `channel`.
    public func publish(_ message: String, on channel: String) async throws {
        try await send("PUBLISH", channel, message)
    }

    /// Calls `receive` with each message published on `channel` from now until `close()`, on a
    /// connection of its own, subscribed again after it is lost. `receive` gets nil when the
    /// subscription has been (re)established: messages may have been missed before it.
    /// Returns once the first subscription is in place.
    /// - Throws: `HearthError.unavailable` when Redis cannot be reached the first time.
    public func subscribe(to channel: String, _ receive: @escaping @Sendable (String?) -> Void) async throws {
        let first = try await subscribed(to: channel, receive)
        let task = Task { [self] in
            var connection: RedisConnection? = first
            var pause = Duration.milliseconds(100)
            while !Task.isCancelled {
                if let live = connection {
                    await withTaskCancellationHandler {
                        await live.closed()
                    } onCancel: {
                        live.close()
                    }
                    connection = nil
                    pause = .milliseconds(100)
                    continue
                }
                try? await Task.sleep(for: pause)
                do {
                    connection = try await subscribed(to: channel, receive)
                } catch {
                    pause = min(pause * 2, .seconds(5))
                    logger.warning("cannot subscribe to Redis; retrying", metadata: ["hearth.redis": "\(address.shown)"])
                }
            }
        }
        subscriptions.withLock { $0.append(task) }
    }

    /// A new connection subscribed to `channel`.
    private func subscribed(to channel: String, _ receive: @escaping @Sendable (String?) -> Void) async throws -> RedisConnection {
        let connection = try await RedisConnection.connect(
            host: address.host, port: address.port, user: address.user, password: address.password, database: address.database,
            timeout: timeout
        ) { pushed in
            guard let parts = pushed.elements, parts.count == 3, parts[0].string == "message" else { return }
            receive(parts[2].string)
        }
        connection.sendExpectingPush(["SUBSCRIBE", channel])
        // Replies come in order: once PING answers, the subscription is in place.
        _ = try await connection.send(["PING"])
        receive(nil)
        return connection
    }

    /// Closes every connection and ends the subscriptions.
    public func close() {
        for task in subscriptions.withLock({ $0 }) { task.cancel() }
        for slot in slots { slot.close() }
    }

    // MARK: - Connections

    /// A place for one connection: the connection, or when connecting last failed.
    private final class Slot: Sendable {
        struct State {
            var connection: RedisConnection?
            var connecting: Task<RedisConnection, any Error>?
            var retryAt: ContinuousClock.Instant?
            var pause = Duration.milliseconds(50)
        }

        let state = Mutex(State())

        func close() { state.withLock { $0.connection }?.close() }
    }

    /// The slot's open connection, opened now when it has none and the pause after the last
    /// failure has passed.
    private func connection(of slot: Slot) async throws -> RedisConnection {
        enum Next {
            case ready(RedisConnection)
            case wait(Task<RedisConnection, any Error>)
            case refuse
        }
        let next: Next = slot.state.withLock { state in
            if let connection = state.connection, connection.isActive { return .ready(connection) }
            if let connecting = state.connecting { return .wait(connecting) }
            if let retryAt = state.retryAt, ContinuousClock.now < retryAt { return .refuse }
            let task = Task { [address, timeout] in
                try await RedisConnection.connect(
                    host: address.host, port: address.port, user: address.user, password: address.password,
                    database: address.database, timeout: timeout)
            }
            state.connecting = task
            return .wait(task)
        }
        switch next {
        case .ready(let connection):
            return connection
        case .refuse:
            throw HearthError(.unavailable, "Redis at \(address.shown) is unreachable; retrying shortly")
        case .wait(let task):
            do {
                let connection = try await task.value
                slot.state.withLock { state in
                    guard state.connecting == task else { return }
                    state.connection = connection
                    state.connecting = nil
                    state.retryAt = nil
                    state.pause = .milliseconds(50)
                }
                return connection
            } catch {
                let first = slot.state.withLock { state in
                    guard state.connecting == task else { return false }
                    state.connecting = nil
                    state.retryAt = ContinuousClock.now + state.pause
                    state.pause = min(state.pause * 2, .seconds(5))
                    return true
                }
                if first { logger.warning("cannot connect to Redis", metadata: ["hearth.redis": "\(address.shown)", "error": "\(error)"]) }
                throw error
            }
        }
    }
}

/// A Lua script Redis runs atomically, sent by its SHA-1 digest once the server knows it.
public struct RedisScript: Sendable {
    public let source: String
    public let digest: String

    public init(_ source: String) {
        self.source = source
        self.digest = Insecure.SHA1.hash(data: Data(source.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
