import HearthCore
import Logging

/// Change notices over Redis's publish and subscribe (channel `hearth:changes:TOPIC`).
public struct RedisChangeNotices: ChangeNotices {
    let redis: RedisClient
    let logger: Logger

    public init(redis: RedisClient, logger: Logger = Logger(label: "hearth.redis")) {
        self.redis = redis
        self.logger = logger
    }

    public func announce(_ topic: String) async {
        do {
            try await redis.publish("changed", on: Self.channel(topic))
        } catch {
            // The others' copies still expire on their own (within seconds).
            logger.warning("cannot tell the other replicas of a change", metadata: ["hearth.topic": "\(topic)", "error": "\(error)"])
        }
    }

    public func listen(to topic: String, _ heard: @escaping @Sendable () -> Void) async throws {
        try await redis.subscribe(to: Self.channel(topic)) { _ in heard() }
    }

    static func channel(_ topic: String) -> String { "hearth:changes:" + topic }
}
