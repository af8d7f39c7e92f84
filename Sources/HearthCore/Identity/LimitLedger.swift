import Foundation
import Synchronization

/// Where the counts behind keys' and users' limits are kept (`RequestLimits` says what they
/// mean): in this process, or in Redis, where every replica admits against the same counts.
public protocol LimitLedger: Sendable {
    /// Admits one request of `subjects`, or says why not; an admitted request holds one of
    /// each subject's concurrent places, named `ticket`, until `finish`.
    func admit(_ subjects: [LimitSubject], ticket: String, now: Date) async throws -> RequestLimits.Refusal?
    /// The request `ticket` of `subjects` has ended.
    func finish(_ subjects: [LimitSubject], ticket: String) async
    /// Whether the day's and month's spending of `id` is known (else `setSpending` first).
    func knowsSpending(of id: String, now: Date) async throws -> Bool
    /// What `id` spent (recorded elsewhere) since the start of the day and of the month; kept
    /// only when no spending is known yet (another replica may have set it first).
    func setSpending(of id: String, day: Int, month: Int, now: Date) async throws
    /// The most tokens `subjects` could reserve; nil: no token limit.
    func room(for subjects: [LimitSubject], now: Date) async throws -> Int?
    /// Reserves `tokens` for one request of `subjects`, or says why not.
    func reserve(_ tokens: Int, for subjects: [LimitSubject], now: Date) async throws -> RequestLimits.Refusal?
    /// A reservation of `reserved` tokens ended having used `used`.
    func settle(reserved: Int, used: Int, for subjects: [LimitSubject], now: Date) async
}

/// The limits' counts in this process: one server alone.
public final class MemoryLimitLedger: LimitLedger {
    private let state = Mutex(RequestLimits())

    public init() {}

    public func admit(_ subjects: [LimitSubject], ticket: String, now: Date) -> RequestLimits.Refusal? {
        state.withLock { $0.admit(subjects, now: now) }
    }

    public func finish(_ subjects: [LimitSubject], ticket: String) {
        state.withLock { $0.finish(subjects) }
    }

    public func knowsSpending(of id: String, now: Date) -> Bool { state.withLock { $0.knowsSpending(of: id, now: now) } }

    public func setSpending(of id: String, day: Int, month: Int, now: Date) {
        state.withLock { limits in
            if !limits.knowsSpending(of: id, now: now) { limits.setSpending(of: id, day: day, month: month, now: now) }
        }
    }

    public func room(for subjects: [LimitSubject], now: Date) -> Int? { state.withLock { $0.room(for: subjects, now: now) } }

    public func reserve(_ tokens: Int, for subjects: [LimitSubject], now: Date) -> RequestLimits.Refusal? {
        state.withLock { $0.reserve(tokens, for: subjects, now: now) }
    }

    public func settle(reserved: Int, used: Int, for subjects: [LimitSubject], now: Date) {
        state.withLock { $0.settle(reserved: reserved, used: used, for: subjects, now: now) }
    }
}
