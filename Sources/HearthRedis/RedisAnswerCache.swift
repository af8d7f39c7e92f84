import Foundation
import HearthCore
import Logging

/// Whole answers kept in Redis, where every replica finds them: each under
/// `hearth:answers:KEY` as JSON, expiring with the answer. What Redis keeps at most is its
/// own `maxmemory` setting; one answer may take `maxAnswerBytes`. A Redis that cannot be
/// reached is a miss, never an error: the answer is generated instead.
public struct RedisAnswerCache: AnswerCache {
    let redis: RedisClient
    let maxAnswerBytes: Int
    let logger: Logger

    public init(redis: RedisClient, maxAnswerBytes: Int = 1 << 20, logger: Logger = Logger(label: "hearth.redis")) {
        self.redis = redis
        self.maxAnswerBytes = maxAnswerBytes
        self.logger = logger
    }

    public func answer(for key: String, at now: Date) async -> CachedAnswer? {
        do {
            guard let text = try await redis.send("GET", Self.key(key)).string else { return nil }
            return try JSONDecoder().decode(CachedAnswer.self, from: Data(text.utf8))
        } catch {
            logger.warning("cannot read a cached answer from Redis", metadata: ["error": "\(error)"])
            return nil
        }
    }

    public func keep(_ answer: CachedAnswer, for key: String, until expiry: Date) async {
        let milliseconds = Int(expiry.timeIntervalSinceNow * 1000)
        guard milliseconds > 0, let data = try? JSONEncoder().encode(answer), data.count <= maxAnswerBytes else { return }
        do {
            try await redis.send("SET", Self.key(key), String(decoding: data, as: UTF8.self), "PX", String(milliseconds))
        } catch {
            logger.warning("cannot keep an answer in Redis", metadata: ["error": "\(error)"])
        }
    }

    static func key(_ key: String) -> String { "hearth:answers:" + key }
}
