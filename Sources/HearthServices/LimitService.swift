import Foundation
import HearthCore
import Synchronization

/// Enforces the limits of keys and users (`RequestLimits`): requests per minute and at once,
/// checked once per request before any work; tokens per minute and day and month budgets,
/// reserved by the chat service before a generation and settled after it.
public final class LimitService: Sendable {
    /// Where the counts are kept: this process, or Redis for replicas.
    private let ledger: any LimitLedger
    private let now: @Sendable () -> Date
    /// What was spent before, for day and month budgets.
    private let usage: UsageService?

    public init(
        ledger: any LimitLedger = MemoryLimitLedger(), usage: UsageService? = nil, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.ledger = ledger
        self.usage = usage
        self.now = now
    }

    // MARK: - Requests

    /// Admits a request of `principal`. Returns the permit the request holds while it runs
    /// (nil when nothing limits it at once): release it when the answer ends.
    /// - Throws: `HearthError.rateLimited` with `retryAfter` when a limit is reached;
    ///   `HearthError.unavailable` when the shared counts cannot be reached.
    public func admit(_ principal: Principal) async throws -> Permit? {
        // Only requests per minute and at once are counted per request (tokens are reserved).
        let subjects = Self.subjects(of: principal).filter { $0.limits.requestsPerMinute != nil || $0.limits.concurrent != nil }
        guard !subjects.isEmpty else { return nil }
        let ticket = randomID()
        if let refusal = try await ledger.admit(subjects, ticket: ticket, now: now()) { throw Self.error(refusal) }
        guard subjects.contains(where: { $0.limits.concurrent != nil }) else { return nil }
        return Permit { [ledger] in await ledger.finish(subjects, ticket: ticket) }
    }

    /// One admitted request's place among its concurrent ones, given back once.
    public final class Permit: Sendable {
        private let end: Mutex<(@Sendable () async -> Void)?>

        init(_ end: @escaping @Sendable () async -> Void) { self.end = Mutex(end) }

        public func release() async { await end.withLock { $0.take() }?() }

        /// Never released (its request was torn down): given back now.
        deinit { if let end = end.withLock({ $0.take() }) { Task { await end() } } }
    }

    // MARK: - Tokens

    /// Whether `principal`'s requests must reserve tokens.
    public func limitsTokens(_ principal: Principal) -> Bool {
        Self.subjects(of: principal).contains { $0.limits.limitsTokens }
    }

    /// The most tokens `principal` could reserve now; nil: no token limit.
    public func room(for principal: Principal) async throws -> Int? {
        let subjects = try await known(Self.subjects(of: principal))
        return try await ledger.room(for: subjects, now: now())
    }

    /// Reserves `tokens` for one request of `principal`; settle the reservation when it ends.
    /// - Throws: `HearthError.rateLimited` (`insufficient_quota` for a day or month budget)
    ///   with `retryAfter` when the tokens are not there.
    public func reserve(_ tokens: Int, for principal: Principal) async throws -> Reservation {
        let subjects = try await known(Self.subjects(of: principal))
        if let refusal = try await ledger.reserve(tokens, for: subjects, now: now()) {
            throw Self.error(refusal, tokens: tokens)
        }
        return Reservation(tokens) { [ledger, now] used in
            await ledger.settle(reserved: tokens, used: used, for: subjects, now: now())
        }
    }

    /// Tokens held for one request until it says how many it used, settled once.
    public final class Reservation: Sendable {
        public let tokens: Int
        private let end: Mutex<(@Sendable (Int) async -> Void)?>

        init(_ tokens: Int, _ end: @escaping @Sendable (Int) async -> Void) {
            self.tokens = tokens
            self.end = Mutex(end)
        }

        /// The request used `used` tokens (the rest goes back).
        public func settle(used: Int) async { await end.withLock { $0.take() }?(used) }

        /// Never settled: the whole reservation counts as used.
        deinit {
            if let end = end.withLock({ $0.take() }) { Task { [tokens] in await end(tokens) } }
        }
    }

    /// `subjects` after loading, once per period, what those with a budget spent before.
    private func known(_ subjects: [LimitSubject]) async throws -> [LimitSubject] {
        for subject in subjects where subject.limits.hasBudget {
            let date = now()
            guard let usage, !(try await ledger.knowsSpending(of: subject.id, now: date)) else { continue }
            let day = try await usage.spent(by: subject.id, since: RequestLimits.dayStart(date))
            let month = try await usage.spent(by: subject.id, since: RequestLimits.monthStart(date))
            try await ledger.setSpending(of: subject.id, day: day, month: month, now: date)
        }
        return subjects
    }

    // MARK: - Helpers

    /// The limits a request of `principal` is held to: its key's and its user's.
    static func subjects(of principal: Principal) -> [LimitSubject] {
        var subjects: [LimitSubject] = []
        if let key = principal.key, !key.limits.isNone { subjects.append(LimitSubject(id: "key:" + key.id, limits: key.limits)) }
        if let user = principal.user, user.id > 0, !user.limits.isNone {
            subjects.append(LimitSubject(id: "user:\(user.id)", limits: user.limits))
        }
        return subjects
    }

    private static func error(_ refusal: RequestLimits.Refusal, tokens: Int = 0) -> HearthError {
        let whose = refusal.subject.hasPrefix("key:") ? "this key" : "your account"
        let wait = refusal.retryAfter.isFinite ? Int(refusal.retryAfter.rounded(.up)) : 0
        switch refusal.kind {
        case .concurrent:
            return HearthError(
                .rateLimited, "\(whose) may run \(refusal.limit) requests at once; retry when one has ended", retryAfter: 1)
        case _ where !refusal.retryAfter.isFinite:
            // Waiting never helps: a client's error, not a rate limit to retry.
            return HearthError.invalidRequest(
                "this request needs \(tokens) tokens (its prompt and max_tokens), more than the \(refusal.limit) \(refusal.kind.rawValue) "
                    + "\(whose) may use; send a shorter prompt or a lower max_tokens", field: "max_tokens")
        case .tokensPerDay, .tokensPerMonth:
            return HearthError(
                .quotaExceeded,
                "\(whose) has used, or holds for requests running now, its \(refusal.limit) \(refusal.kind.rawValue); retry in \(wait) s",
                retryAfter: wait)
        case .requestsPerMinute, .tokensPerMinute:
            return HearthError(
                .rateLimited, "\(whose) may use \(refusal.limit) \(refusal.kind.rawValue); retry in \(wait) s", retryAfter: wait)
        }
    }
}
