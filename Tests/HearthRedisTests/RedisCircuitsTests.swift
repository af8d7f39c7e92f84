import Foundation
import HearthCore
import HearthTesting
import Synchronization
import Testing

@testable import HearthRedis

/// The router's circuits as two replicas share them through Redis.
@Suite(.enabled(if: TestRedis.isInstalled, "Redis is not installed: run `make redis`"))
struct RedisCircuitsTests {
    /// What a follower was told last.
    final class Heard: Sendable {
        let open = Mutex<[String: Date]?>(nil)
        func until(_ condition: ([String: Date]) -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while !(open.withLock { $0 }.map(condition) ?? false) {
                try #require(ContinuousClock.now < deadline, "still \(String(describing: open.withLock { $0 }))")
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    @Test func aCircuitOneReplicaOpensIsOpenForTheOtherUntilItCloses() async throws {
        let url = try await TestRedis.newDatabase()
        let (a, b) = (try RedisClient(url: url, connections: 1), try RedisClient(url: url, connections: 1))
        defer { a.close(); b.close() }
        let (one, other) = (RedisCircuits(redis: a), RedisCircuits(redis: b))
        let heard = Heard()
        try await other.follow { open in heard.open.withLock { $0 = open } }
        try await heard.until { $0.isEmpty }
        let until = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 600).rounded())
        await one.opened("backup/gpt", until: until)
        try await heard.until { $0 == ["backup/gpt": until] }
        await one.closed("backup/gpt")
        try await heard.until { $0.isEmpty }
        // One whose time has passed is not told, and is removed.
        await one.opened("old/model", until: Date() - 1)
        #expect(await other.load() == [:])
        #expect(try await b.send("HLEN", RedisCircuits.hash).int == 0)
    }
}
