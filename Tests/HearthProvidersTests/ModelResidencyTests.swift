import Foundation
import HearthCore
import HearthProviders
import Testing

/// Keep-alive expiry and memory-budget eviction, with the time given, without models.
struct ModelResidencyTests {
    let start = Date(timeIntervalSince1970: 1_000_000)

    func loaded(_ entries: [(String, Int64, TimeInterval)], budget: Int64 = 1_000) -> ModelResidency {
        var residency = ModelResidency(budget: budget)
        for (offset, (path, bytes, keepAlive)) in entries.enumerated() {
            residency.add(path, name: path, memoryBytes: bytes, keepAlive: keepAlive, now: start)
            residency.begin(path, keepAlive: nil)
            _ = residency.end(path, keepAlive: nil, now: start + Double(offset))
        }
        return residency
    }

    @Test func anIdleModelExpiresWhenItsKeepAliveHasPassed() {
        let residency = loaded([("a", 100, 300), ("b", 100, 60), ("c", 100, -1)])
        #expect(residency.expired(at: start + 59).isEmpty)
        #expect(residency.expired(at: start + 61) == ["b"])
        #expect(residency.expired(at: start + 301) == ["a", "b"])
        #expect(residency.expired(at: start + 1e9) == ["a", "b"])  // "c" stays forever
    }

    @Test func aModelInUseNeverExpires() {
        var residency = loaded([("a", 100, 10)])
        residency.begin("a", keepAlive: nil)
        #expect(residency.expired(at: start + 1_000).isEmpty)
        #expect(residency.models["a"]?.expiresAt == nil)
        let expiredAtOnce = residency.end("a", keepAlive: 0, now: start + 1_000)
        #expect(expiredAtOnce)  // keep_alive 0: unloaded as soon as it is answered
    }

    @Test func anUnloadWaitsForTheLastRequest() {
        var residency = loaded([("a", 100, -1)])
        residency.begin("a", keepAlive: nil)
        residency.markUnloading("a")
        #expect(residency.expired(at: start + 5).isEmpty)
        let expired = residency.end("a", keepAlive: nil, now: start + 5)
        #expect(expired)
        #expect(residency.expired(at: start + 5) == ["a"])
    }

    @Test func theLeastRecentlyUsedIdleModelsMakeRoom() throws {
        let residency = loaded([("old", 400, -1), ("middle", 300, -1), ("new", 200, -1)])
        #expect(try residency.evictions(toFit: 100, for: "x").isEmpty)
        #expect(try residency.evictions(toFit: 300, for: "x") == ["old"])
        #expect(try residency.evictions(toFit: 750, for: "x") == ["old", "middle"])
    }

    @Test func busyModelsAreNotEvictedAndTooLargeIsRefused() throws {
        var residency = loaded([("busy", 600, -1), ("idle", 300, -1)])
        residency.begin("busy", keepAlive: nil)
        let busy = #expect(throws: HearthError.self) { try residency.evictions(toFit: 500, for: "x") }
        #expect(busy?.code == .queueFull)
        let large = #expect(throws: HearthError.self) { try residency.evictions(toFit: 1_001, for: "x") }
        #expect(large?.code == .modelLoadFailed)
        #expect(try residency.evictions(toFit: 400, for: "x") == ["idle"])
    }

    @Test func aRequestsKeepAliveReplacesTheDefault() {
        var residency = loaded([("a", 100, 300)])
        residency.begin("a", keepAlive: 5)
        _ = residency.end("a", keepAlive: nil, now: start + 10)
        #expect(residency.expired(at: start + 14).isEmpty)
        #expect(residency.expired(at: start + 16) == ["a"])
    }
}
