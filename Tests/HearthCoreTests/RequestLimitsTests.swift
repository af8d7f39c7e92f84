import Foundation
import HearthCore
import Testing

/// Requests per minute and at once, per key, with the time given.
struct RequestLimitsTests {
    let start = Date(timeIntervalSince1970: 1_000_000)

    @Test func aBurstGetsExactlyTheLimitThenOneMorePerRefill() {
        var limits = RequestLimits()
        let limit = RequestLimits.Limit(requestsPerMinute: 10)
        let burst = (0..<50).map { _ in limits.admit("k", limit, now: start) }
        #expect(burst.count { $0 == nil } == 10)
        guard case .requestsPerMinute(let wait) = burst.last else {
            Issue.record("the 50th request was not refused for its rate")
            return
        }
        #expect(abs(wait - 6) < 0.001)  // one request comes back every 6 s
        #expect(limits.admit("k", limit, now: start + 5.9) != nil)
        #expect(limits.admit("k", limit, now: start + 6.1) == nil)
        #expect(limits.admit("k", limit, now: start + 6.2) != nil)
        // Another key has its own bucket.
        #expect(limits.admit("other", limit, now: start) == nil)
    }

    @Test func noMinuteAdmitsMoreThanTheLimitAndWhatRefilledInIt() {
        var limits = RequestLimits()
        let limit = RequestLimits.Limit(requestsPerMinute: 30)
        var admitted: [Double] = []
        for tenth in 0..<1_800 {  // a request every 0.1 s for three minutes
            let time = Double(tenth) / 10
            if limits.admit("k", limit, now: start + time) == nil { admitted.append(time) }
        }
        for from in stride(from: 0.0, to: 120, by: 7.3) {
            #expect(admitted.count { $0 >= from && $0 < from + 60 } <= 60)  // a full bucket plus one minute's refill
        }
        #expect(admitted.count { $0 >= 60 && $0 < 120 } <= 31)  // once the burst is spent: the rate
    }

    @Test func concurrentPlacesAreHeldUntilFinished() {
        var limits = RequestLimits()
        let limit = RequestLimits.Limit(requestsPerMinute: 100, concurrent: 2)
        #expect(limits.admit("k", limit, now: start) == nil)
        #expect(limits.admit("k", limit, now: start) == nil)
        #expect(limits.admit("k", limit, now: start) == .concurrent)
        limits.finish("k")
        #expect(limits.admit("k", limit, now: start) == nil)
        // A refused request used up nothing: 3 admitted of the bucket's 100.
        let admitted = (0..<200).reduce(into: 0) { count, _ in
            limits.finish("k")
            if limits.admit("k", limit, now: start) == nil { count += 1 }
        }
        #expect(admitted == 97)
    }
}
