import Foundation
import HearthProviders
import Testing

/// The breaker's states over a made-up clock: closed until three failures in a row (or one
/// that says when to come back), open for the cooldown, then one probe.
struct CircuitBreakerTests {
    let start = Date(timeIntervalSince1970: 1_000)

    @Test func opensAfterThreeFailuresAndProbesAfterTheCooldown() {
        var breaker = CircuitBreaker(threshold: 3, cooldown: 5)
        for _ in 0..<2 { breaker.failed(at: start) }
        let allowed1 = breaker.allows(at: start)
        #expect(allowed1)
        breaker.failed(at: start)
        #expect(breaker.state == .open(until: start + 5))
        let allowed2 = breaker.allows(at: start + 4.9)
        #expect(!allowed2)
        let allowed3 = breaker.allows(at: start + 5)
        #expect(allowed3)  // the probe
        let allowed4 = breaker.allows(at: start + 5.1)
        #expect(!allowed4)  // one at a time
        breaker.failed(at: start + 6)
        #expect(breaker.state == .open(until: start + 11))
        let allowed5 = breaker.allows(at: start + 11)
        #expect(allowed5)
        breaker.succeeded()
        let allowed6 = breaker.allows(at: start + 11)
        #expect(breaker.state == .closed(failures: 0) && allowed6)
    }

    @Test func aRetryAfterOpensItAtOnceForThatLong() {
        var breaker = CircuitBreaker(threshold: 3, cooldown: 5)
        breaker.failed(at: start, retryAfter: 30)
        #expect(breaker.state == .open(until: start + 30))
        breaker = CircuitBreaker(threshold: 3, cooldown: 5)
        breaker.failed(at: start, retryAfter: 1)
        #expect(breaker.state == .open(until: start + 5))
    }

    @Test func aSuccessForgetsEarlierFailures() {
        var breaker = CircuitBreaker(threshold: 3, cooldown: 5)
        breaker.failed(at: start)
        breaker.failed(at: start)
        breaker.succeeded()
        breaker.failed(at: start)
        #expect(breaker.state == .closed(failures: 1))
    }
}
