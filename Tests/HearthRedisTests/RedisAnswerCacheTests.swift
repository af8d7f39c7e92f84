import Foundation
import HearthCore
import HearthTesting
import Testing

@testable import HearthRedis

/// Whole answers kept in Redis, as two replicas see them.
@Suite(.enabled(if: TestRedis.isInstalled, "Redis is not installed: run `make redis`"))
struct RedisAnswerCacheTests {
    static let answer = CachedAnswer(events: [
        .text("Calling "), .toolCall(ToolCall(id: "call_1", name: "weather", arguments: #"{"city":"Oslo"}"#)),
        .done(.toolCalls, Usage(promptTokens: 12, completionTokens: 7)),
    ])

    @Test func anAnswerKeptThroughOneReplicaIsFoundThroughTheOtherUntilItExpires() async throws {
        let url = try await TestRedis.newDatabase()
        let (a, b) = (try RedisClient(url: url, connections: 1), try RedisClient(url: url, connections: 1))
        defer { a.close(); b.close() }
        let (one, other) = (RedisAnswerCache(redis: a), RedisAnswerCache(redis: b))
        let key = randomID()
        #expect(await other.answer(for: key, at: Date()) == nil)
        await one.keep(Self.answer, for: key, until: Date() + 60)
        #expect(await other.answer(for: key, at: Date()) == Self.answer)
        // It expires in Redis with the answer.
        let ttl = try #require(try await b.send("PTTL", RedisAnswerCache.key(key)).int)
        #expect(ttl > 55_000 && ttl <= 60_000)
        await one.keep(Self.answer, for: "short", until: Date() + 0.2)
        try await Task.sleep(for: .milliseconds(400))
        #expect(await other.answer(for: "short", at: Date()) == nil)
    }

    @Test func tooLargeOrExpiredAnswersAreNotKeptAndDamagedOnesAreMisses() async throws {
        let redis = try RedisClient(url: try await TestRedis.newDatabase(), connections: 1)
        defer { redis.close() }
        let cache = RedisAnswerCache(redis: redis, maxAnswerBytes: 100)
        await cache.keep(CachedAnswer(events: [.text(String(repeating: "x", count: 200))]), for: "big", until: Date() + 60)
        await cache.keep(Self.answer, for: "past", until: Date() - 1)
        #expect(try await redis.send("EXISTS", RedisAnswerCache.key("big"), RedisAnswerCache.key("past")).int == 0)
        try await redis.send("SET", RedisAnswerCache.key("damaged"), #"[{"nothing":1}]"#)
        #expect(await cache.answer(for: "damaged", at: Date()) == nil)
    }

    @Test func anUnreachableRedisIsAMissNotAnError() async throws {
        let redis = try RedisClient(url: "redis://127.0.0.1:\(try FreePort.find())", connections: 1, timeout: .seconds(1))
        defer { redis.close() }
        let cache = RedisAnswerCache(redis: redis)
        await cache.keep(Self.answer, for: "k", until: Date() + 60)
        #expect(await cache.answer(for: "k", at: Date()) == nil)
    }
}
