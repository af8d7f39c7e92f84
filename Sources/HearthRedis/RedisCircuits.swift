import Foundation
import HearthCore
import Logging

/// The deployments cooling down, in the Redis hash `hearth:circuits` (key → until, in
/// milliseconds since 1970), with a change notice (`circuits`) after each change.
public struct RedisCircuits: SharedCircuits {
    let redis: RedisClient
    let notices: RedisChangeNotices
    let logger: Logger

    static let hash = "hearth:circuits"
    static let topic = "circuits"

    public init(redis: RedisClient, logger: Logger = Logger(label: "hearth.redis")) {
        self.redis = redis
        self.notices = RedisChangeNotices(redis: redis, logger: logger)
        self.logger = logger
    }

    public func opened(_ key: String, until: Date) async {
        await change(["HSET", Self.hash, key, String(Int64(until.timeIntervalSince1970 * 1000))])
    }

    public func closed(_ key: String) async {
        await change(["HDEL", Self.hash, key])
    }

    public func follow(_ apply: @escaping @Sendable ([String: Date]) -> Void) async throws {
        try await notices.listen(to: Self.topic) {
            Task { if let open = await load() { apply(open) } }
        }
        if let open = await load() { apply(open) }
    }

    /// Every deployment cooling down now; nil when Redis cannot say (each replica then keeps
    /// its own circuits). Ones whose time has passed are removed.
    func load(now: Date = Date()) async -> [String: Date]? {
        do {
            let fields = try await redis.send("HGETALL", Self.hash).elements ?? []
            var open: [String: Date] = [:]
            var passed: [String] = []
            for index in stride(from: 0, to: fields.count - 1, by: 2) {
                guard let key = fields[index].string, let millis = fields[index + 1].string.flatMap(Int64.init) else { continue }
                let until = Date(timeIntervalSince1970: Double(millis) / 1000)
                if until > now { open[key] = until } else { passed.append(key) }
            }
            if !passed.isEmpty { _ = try? await redis.send(["HDEL", Self.hash] + passed) }
            return open
        } catch {
            logger.warning("cannot read the shared circuits", metadata: ["error": "\(error)"])
            return nil
        }
    }

    private func change(_ command: [String]) async {
        do {
            _ = try await redis.send(command)
            await notices.announce(Self.topic)
        } catch {
            // The other replicas find out for themselves, as they would alone.
            logger.warning("cannot share a circuit's change", metadata: ["error": "\(error)"])
        }
    }
}
