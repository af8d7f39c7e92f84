import Foundation
import HearthCore
import Testing

/// The in-memory answer cache: kept until its expiry, bounded in bytes with the least
/// recently used answers going first, answers too large for it never kept.
struct AnswerCacheTests {
    let now = Date(timeIntervalSince1970: 1_000)

    func answer(_ text: String) -> CachedAnswer {
        CachedAnswer(events: [.text(text), .done(.stop, Usage(promptTokens: 1, completionTokens: 1))])
    }

    @Test func keepsUntilTheExpiry() {
        let cache = MemoryAnswerCache(capacityBytes: 1 << 20)
        cache.keep(answer("hi"), for: "a", until: now + 10)
        #expect(cache.answer(for: "a", at: now + 9) == answer("hi"))
        #expect(cache.answer(for: "a", at: now + 10) == nil)
        #expect(cache.usage.answers == 0 && cache.usage.bytes == 0)
    }

    @Test func theLeastRecentlyUsedGoFirst() {
        let one = answer(String(repeating: "x", count: 50))
        let cache = MemoryAnswerCache(capacityBytes: (one.bytes + 3) * 20)
        for index in 0..<20 { cache.keep(one, for: "k\(index)", until: now + 60) }
        _ = cache.answer(for: "k0", at: now)  // k0 is used again: k1 is now the oldest
        cache.keep(one, for: "k20", until: now + 60)
        #expect(cache.answer(for: "k1", at: now) == nil)
        #expect(cache.answer(for: "k0", at: now) != nil)
        #expect(cache.answer(for: "k20", at: now) != nil)
        #expect(cache.usage.bytes <= cache.capacityBytes)
    }

    @Test func anAnswerTooLargeIsNotKept() {
        let cache = MemoryAnswerCache(capacityBytes: 16 << 10)
        cache.keep(answer(String(repeating: "x", count: 2_000)), for: "big", until: now + 60)
        #expect(cache.answer(for: "big", at: now) == nil)
    }
}
