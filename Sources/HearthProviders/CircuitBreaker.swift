import Foundation

/// The health of one deployment, from the answers it gave: after `threshold` failures in a
/// row, or one that says when to come back (`Retry-After`), it is left alone for a cooldown;
/// then one request probes it (half-open): success closes the circuit, failure opens it again.
/// A value type: the clock is the caller's.
public struct CircuitBreaker: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case closed(failures: Int)
        case open(until: Date)
        /// A probe is out; other requests go elsewhere until it comes back.
        case halfOpen
    }

    public private(set) var state = State.closed(failures: 0)
    public let threshold: Int
    public let cooldown: TimeInterval

    public init(threshold: Int = 3, cooldown: TimeInterval = 5) {
        self.threshold = threshold
        self.cooldown = cooldown
    }

    /// Whether a request may go to the deployment now; the first after a cooldown is its probe.
    public mutating func allows(at now: Date) -> Bool {
        switch state {
        case .closed: return true
        case .halfOpen: return false
        case .open(let until):
            guard now >= until else { return false }
            state = .halfOpen
            return true
        }
    }

    public mutating func succeeded() { state = .closed(failures: 0) }

    /// Another replica found the deployment failing: left alone until `until` (a later time
    /// than it had). A probe already out stays out.
    public mutating func open(until: Date) {
        switch state {
        case .closed: state = .open(until: until)
        case .open(let current): state = .open(until: max(current, until))
        case .halfOpen: break
        }
    }

    /// A failure before the first token; `retryAfter` (seconds) when the deployment said.
    public mutating func failed(at now: Date, retryAfter: Int? = nil) {
        let pause = max(cooldown, TimeInterval(retryAfter ?? 0))
        switch state {
        case .closed(let failures):
            state = failures + 1 >= threshold || retryAfter != nil ? .open(until: now + pause) : .closed(failures: failures + 1)
        case .halfOpen, .open:
            state = .open(until: now + pause)
        }
    }
}
