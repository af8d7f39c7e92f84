import Testing

@testable import HearthEngine

/// Where the batch loop puts a prompt and what it keeps of a cache, without a model.
struct SlotPolicyTests {
    typealias Candidate = SlotPolicy.Candidate

    @Test func theLongestSharedPrefixWins() {
        let free = [
            Candidate(cached: [1, 2], lastUsed: 1), Candidate(cached: [1, 2, 3, 4], lastUsed: 2), Candidate(cached: [9], lastUsed: 3),
        ]
        #expect(SlotPolicy.choose(among: free, for: [1, 2, 3, 4, 5]) == 1)
        #expect(SlotPolicy.choose(among: free, for: [9, 9]) == 2)
    }

    @Test func amongEqualsTheLeastRecentlyUsedIsTaken() {
        let free = [Candidate(cached: [5], lastUsed: 7), Candidate(cached: [6], lastUsed: 3), Candidate(cached: [], lastUsed: 5)]
        #expect(SlotPolicy.choose(among: free, for: [1, 2]) == 1)
        #expect(SlotPolicy.choose(among: [], for: [1]) == nil)
    }

    @Test func theLastPromptTokenIsAlwaysEvaluatedAgain() {
        #expect(SlotPolicy.reusablePrefix(cached: [1, 2, 3], prompt: [1, 2, 3]) == 2)
        #expect(SlotPolicy.reusablePrefix(cached: [1, 2, 3, 4, 5], prompt: [1, 2, 3, 7]) == 3)
        #expect(SlotPolicy.reusablePrefix(cached: [1, 2], prompt: [1, 2, 3, 4]) == 2)
        #expect(SlotPolicy.reusablePrefix(cached: [8], prompt: [1, 2]) == 0)
    }

    @Test func aSlidingWindowCacheIsReusedOnlyWhileItsWindowIsThere() {
        let cached = Array(Int32(0)..<100)
        let prompt = cached + [500]
        // The window of 32 before position 100 starts at 68: positions from 60 on are enough.
        #expect(SlotPolicy.reusablePrefix(cached: cached, prompt: prompt, window: 32, oldestPosition: 60) == 100)
        #expect(SlotPolicy.reusablePrefix(cached: cached, prompt: prompt, window: 32, oldestPosition: 70) == 0)
        #expect(SlotPolicy.reusablePrefix(cached: cached, prompt: prompt, window: 0, oldestPosition: 70) == 100)
    }

    @Test func theQueueRefusesBeyondItsCapacityAndAdmitsOldestFirst() {
        var queue = AdmissionQueue<Int>(capacity: 3)
        let accepted = [1, 2, 3, 4].map { queue.enqueue($0) }
        #expect(accepted == [true, true, true, false])
        #expect(queue.waiting == [1, 2, 3])
        let (admitted, cancelled) = queue.admit(free: 1) { _ in false }
        #expect(admitted == [1] && cancelled.isEmpty && queue.waiting == [2, 3])
        let again = queue.enqueue(4)
        #expect(again)
    }

    @Test func aCancelledRequestNeverTakesASequence() {
        var queue = AdmissionQueue<Int>(capacity: 8)
        for job in 1...5 { _ = queue.enqueue(job) }
        let (admitted, cancelled) = queue.admit(free: 2) { $0 == 1 || $0 == 4 }
        #expect(admitted == [2, 3])
        #expect(cancelled == [1, 4])
        #expect(queue.waiting == [5])
        let rest = queue.removeAll()
        #expect(rest == [5] && queue.waiting.isEmpty)
    }
}
