import Foundation

/// Slows down password guessing, as a value told the time: after `free` failures in a row for
/// one account or one address, each further attempt must wait twice as long as the last (1 s,
/// 2 s, 4 s … up to 15 minutes). A success clears the account (not the address).
public struct LoginThrottle: Sendable {
    /// Failures allowed before waits begin.
    public let free: Int
    private var failures: [String: (count: Int, last: Date)] = [:]

    public init(free: Int = 5) { self.free = free }

    /// Seconds to wait before `subjects` (an account, an address) may try again; nil: now.
    public func wait(for subjects: [String], now: Date) -> TimeInterval? {
        let waits = subjects.compactMap { subject -> TimeInterval? in
            guard let entry = failures[subject], entry.count >= free else { return nil }
            let delay = min(900, pow(2, Double(entry.count - free)))
            let remaining = entry.last.addingTimeInterval(delay).timeIntervalSince(now)
            return remaining > 0 ? remaining : nil
        }
        return waits.max()
    }

    public mutating func failed(_ subjects: [String], now: Date) {
        if failures.count > 100_000 { failures = failures.filter { now.timeIntervalSince($0.value.last) < 900 } }
        for subject in subjects { failures[subject] = ((failures[subject]?.count ?? 0) + 1, now) }
    }

    public mutating func succeeded(_ subject: String) { failures[subject] = nil }
}
