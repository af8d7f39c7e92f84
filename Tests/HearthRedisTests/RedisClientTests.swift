import Foundation
import HearthCore
import HearthTesting
import Synchronization
import Testing

@testable import HearthRedis

/// The client against a real Redis the tests start.
@Suite(.enabled(if: TestRedis.isInstalled, "Redis is not installed: run `make redis`"))
struct RedisClientTests {
    @Test func commandsGetTheirOwnRepliesWhenPipelinedFromManyTasks() async throws {
        let redis = try RedisClient(url: try await TestRedis.newDatabase(), connections: 2)
        defer { redis.close() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<400 {
                group.addTask {
                    try await redis.send("SET", "k\(i)", "v\(i)")
                    let value = try await redis.send("GET", "k\(i)")
                    #expect(value.string == "v\(i)")
                    try await redis.send("INCR", "count")
                }
            }
            try await group.waitForAll()
        }
        #expect(try await redis.send("GET", "count").int == 400)
    }

    @Test func anErrorReplyIsThrownAndTheConnectionGoesOn() async throws {
        let redis = try RedisClient(url: try await TestRedis.newDatabase(), connections: 1)
        defer { redis.close() }
        try await redis.send("SET", "text", "x")
        await #expect(throws: RedisError.self) { try await redis.send("INCR", "text") }
        #expect(try await redis.send("GET", "text").string == "x")
    }

    @Test func aUserAndPasswordAreSentAndAWrongOneIsAClearError() async throws {
        let port = try await TestRedis.port()
        let admin = try RedisClient(url: "redis://127.0.0.1:\(port)", connections: 1)
        defer { admin.close() }
        let user = "u" + UUID().uuidString.prefix(8).lowercased()
        try await admin.send("ACL", "SETUSER", user, "on", ">s3cret", "~*", "&*", "+@all")
        let good = try RedisClient(url: "redis://\(user):s3cret@127.0.0.1:\(port)/0", connections: 1)
        defer { good.close() }
        #expect(try await good.send("ACL", "WHOAMI").string == user)
        let bad = try RedisClient(url: "redis://\(user):wrong@127.0.0.1:\(port)/0", connections: 1)
        defer { bad.close() }
        let error = await #expect(throws: HearthError.self) { try await bad.send("PING") }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("refused") == true)
        #expect(error?.message.contains("wrong") == false)
    }

    @Test func aLostConnectionIsOpenedAgain() async throws {
        let redis = try RedisClient(url: try await TestRedis.newDatabase(), connections: 1)
        defer { redis.close() }
        let id = try #require(try await redis.send("CLIENT", "ID").int)
        let admin = try RedisClient(url: try await TestRedis.newDatabase(), connections: 1)
        defer { admin.close() }
        try await admin.send("CLIENT", "KILL", "ID", String(id))
        // The next command finds the connection closed and opens another.
        var reply: RESPValue?
        for _ in 0..<50 where reply == nil {
            reply = try? await redis.send("PING")
            if reply == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(reply == .simple("PONG"))
        #expect(try await redis.send("CLIENT", "ID").int != id)
    }

    @Test func anUnreachableRedisFailsFastAndSaysWhereWithoutThePassword() async throws {
        let port = try FreePort.find()
        let redis = try RedisClient(url: "redis://:hunter2@127.0.0.1:\(port)", connections: 1, timeout: .seconds(2))
        defer { redis.close() }
        for _ in 0..<3 {
            let error = await #expect(throws: HearthError.self) { try await redis.send("PING") }
            #expect(error?.code == .unavailable)
            #expect(error?.message.contains("127.0.0.1:\(port)") == true)
            #expect("\(error!)".contains("hunter2") == false)
        }
    }

    @Test func badURLsAreRefused() {
        for url in ["http://x", "rediss://host", "redis://", "redis://host/db1", "host:6379"] {
            #expect(throws: HearthError.self, "\(url)") { _ = try RedisClient(url: url) }
        }
        let address = try? RedisClient.Address(url: "redis://:p%40w@h:7/3")
        #expect(address?.host == "h" && address?.port == 7 && address?.database == 3)
        #expect(address?.user == nil && address?.password == "p@w")
        #expect(address?.shown == "h:7/3")
    }

    @Test func scriptsRunByDigestOnceLoaded() async throws {
        let redis = try RedisClient(url: try await TestRedis.newDatabase(), connections: 1)
        defer { redis.close() }
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1]) .. '-' .. '\(UUID().uuidString)'")
        #expect(try await redis.send("SCRIPT", "EXISTS", script.digest) == .array([.integer(0)]))
        let first = try await redis.run(script, keys: ["n"], arguments: ["5"])
        #expect(first.string?.hasPrefix("5-") == true)
        #expect(try await redis.send("SCRIPT", "EXISTS", script.digest) == .array([.integer(1)]))
        #expect(try await redis.run(script, keys: ["n"], arguments: ["2"]).string?.hasPrefix("7-") == true)
    }

    @Test func subscribersHearWhatIsPublishedAndSubscribeAgainAfterALoss() async throws {
        let url = try await TestRedis.newDatabase()
        let listener = try RedisClient(url: url, connections: 1)
        defer { listener.close() }
        let heard = Mutex<[String?]>([])
        let channel = "test:" + UUID().uuidString
        try await listener.subscribe(to: channel) { message in heard.withLock { $0.append(message) } }
        let publisher = try RedisClient(url: url, connections: 1)
        defer { publisher.close() }
        try await publisher.publish("one", on: channel)
        try await Self.waitUntil { heard.withLock { $0 } == [nil, "one"] }
        // Every subscriber's connection is killed: the listener subscribes again and says so.
        try await publisher.send("CLIENT", "KILL", "TYPE", "pubsub")
        try await Self.waitUntil { heard.withLock { $0.count } == 3 }
        try await publisher.publish("two", on: channel)
        try await Self.waitUntil { heard.withLock { $0 } == [nil, "one", nil, "two"] }
        #expect(heard.withLock { $0 } == [nil, "one", nil, "two"])
    }

    /// Waits up to 5 s for `condition`.
    static func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }
}
