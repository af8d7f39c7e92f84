import Foundation
import HearthCore
import Testing

/// Requests and tokens per minute, at once, and per day and month, per key and user, with the time given.
struct RequestLimitsTests {
    let start = Date(timeIntervalSince1970: 1_000_000)

    static func key(_ limits: Limits) -> [LimitSubject] { [LimitSubject(id: "key:k", limits: limits)] }

    @Test func aBurstGetsExactlyTheLimitThenOneMorePerRefill() {
        var limits = RequestLimits()
        let key = Self.key(Limits(requestsPerMinute: 10))
        let burst = (0..<50).map { _ in limits.admit(key, now: start) }
        #expect(burst.count { $0 == nil } == 10)
        guard let refusal = burst.last ?? nil, refusal.kind == .requestsPerMinute else {
            Issue.record("the 50th request was not refused for its rate")
            return
        }
        #expect(abs(refusal.retryAfter - 6) < 0.001)  // one request comes back every 6 s
        #expect(limits.admit(key, now: start + 5.9) != nil)
        #expect(limits.admit(key, now: start + 6.1) == nil)
        #expect(limits.admit(key, now: start + 6.2) != nil)
        // Another key has its own bucket.
        #expect(limits.admit([LimitSubject(id: "key:other", limits: Limits(requestsPerMinute: 10))], now: start) == nil)
    }

    @Test func noMinuteAdmitsMoreThanTheLimitAndWhatRefilledInIt() {
        var limits = RequestLimits()
        let key = Self.key(Limits(requestsPerMinute: 30))
        var admitted: [Double] = []
        for tenth in 0..<1_800 {  // a request every 0.1 s for three minutes
            let time = Double(tenth) / 10
            if limits.admit(key, now: start + time) == nil { admitted.append(time) }
        }
        for from in stride(from: 0.0, to: 120, by: 7.3) {
            #expect(admitted.count { $0 >= from && $0 < from + 60 } <= 60)  // a full bucket plus one minute's refill
        }
        #expect(admitted.count { $0 >= 60 && $0 < 120 } <= 31)  // once the burst is spent: the rate
    }

    @Test func concurrentPlacesAreHeldUntilFinished() {
        var limits = RequestLimits()
        let key = Self.key(Limits(requestsPerMinute: 100, concurrent: 2))
        #expect(limits.admit(key, now: start) == nil)
        #expect(limits.admit(key, now: start) == nil)
        #expect(limits.admit(key, now: start)?.kind == .concurrent)
        limits.finish(key)
        #expect(limits.admit(key, now: start) == nil)
        // A refused request used up nothing: 3 admitted of the bucket's 100.
        let admitted = (0..<200).reduce(into: 0) { count, _ in
            limits.finish(key)
            if limits.admit(key, now: start) == nil { count += 1 }
        }
        #expect(admitted == 97)
    }

    @Test func aRequestPassesEveryLimitOfItsKeyAndItsUserOrCountsNowhere() {
        var limits = RequestLimits()
        let subjects = [
            LimitSubject(id: "key:k", limits: Limits(requestsPerMinute: 100)),
            LimitSubject(id: "user:1", limits: Limits(requestsPerMinute: 3)),
        ]
        #expect((0..<5).count { _ in limits.admit(subjects, now: start) == nil } == 3)
        #expect(limits.admit(subjects, now: start)?.subject == "user:1")
        // The key's bucket paid only for the 3 admitted: 97 left for its other uses.
        let keyAlone = [subjects[0]]
        #expect((0..<200).count { _ in limits.admit(keyAlone, now: start) == nil } == 97)
    }

    @Test func reservedAndUsedTokensNeverExceedTheMinutesLimit() {
        var limits = RequestLimits()
        let key = Self.key(Limits(tokensPerMinute: 1_000))
        #expect(limits.room(for: key, now: start) == 1_000)
        #expect(limits.reserve(600, for: key, now: start) == nil)
        // 600 held: 500 more would pass the limit.
        let refusal = limits.reserve(500, for: key, now: start)
        #expect(refusal?.kind == .tokensPerMinute)
        #expect(abs((refusal?.retryAfter ?? 0) - 6) < 0.001)  // 100 tokens refill in 6 s
        // The first used only 200 of its 600: 400 come back at once.
        limits.settle(reserved: 600, used: 200, for: key, now: start)
        #expect(limits.room(for: key, now: start) == 800)
        #expect(limits.reserve(800, for: key, now: start) == nil)
        #expect(limits.reserve(1, for: key, now: start) != nil)
        // Using more than reserved takes the rest too (and the bucket goes below empty).
        limits.settle(reserved: 800, used: 900, for: key, now: start)
        #expect(limits.room(for: key, now: start + 6) == 0)
        #expect(limits.room(for: key, now: start + 12) == 100)
        // A request bigger than the limit can never pass.
        #expect(limits.reserve(1_001, for: key, now: start + 3_600)?.retryAfter == .infinity)
    }

    @Test func aDaysBudgetCountsWhatWasSpentAndStartsAgainAtMidnightUTC() {
        var limits = RequestLimits()
        let day = RequestLimits.dayStart(start)
        let user = [LimitSubject(id: "user:1", limits: Limits(tokensPerDay: 1_000, tokensPerMonth: 1_500))]
        #expect(!limits.knowsSpending(of: "user:1", now: start))
        limits.setSpending(of: "user:1", day: 700, month: 1_200, now: start)
        #expect(limits.knowsSpending(of: "user:1", now: start))
        #expect(limits.room(for: user, now: start) == 300)
        let refusal = limits.reserve(301, for: user, now: start)
        #expect(refusal?.kind == .tokensPerDay)
        #expect(abs((refusal?.retryAfter ?? 0) - day.addingTimeInterval(86_400).timeIntervalSince(start)) < 0.001)
        #expect(limits.reserve(300, for: user, now: start) == nil)
        // The next day: the day's budget is whole again, the month's is not.
        let tomorrow = day.addingTimeInterval(86_400 + 60)
        if RequestLimits.monthStart(tomorrow) == RequestLimits.monthStart(start) {
            #expect(limits.room(for: user, now: tomorrow) == 0)
            #expect(limits.reserve(1, for: user, now: tomorrow)?.kind == .tokensPerMonth)
        }
    }
}
