import Foundation

/// What a key or a user may use; nil: no limit.
public struct Limits: Sendable, Equatable, Codable {
    public var requestsPerMinute: Int?
    /// Prompt and completion tokens per minute.
    public var tokensPerMinute: Int?
    /// Requests that may run at once (streams included).
    public var concurrent: Int?
    /// Prompt and completion tokens per calendar day (UTC).
    public var tokensPerDay: Int?
    /// Prompt and completion tokens per calendar month (UTC).
    public var tokensPerMonth: Int?

    public init(
        requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil, concurrent: Int? = nil, tokensPerDay: Int? = nil,
        tokensPerMonth: Int? = nil
    ) {
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.concurrent = concurrent
        self.tokensPerDay = tokensPerDay
        self.tokensPerMonth = tokensPerMonth
    }

    public var isNone: Bool { self == Limits() }
    /// Whether requests must reserve their tokens before they run.
    public var limitsTokens: Bool { tokensPerMinute != nil || tokensPerDay != nil || tokensPerMonth != nil }
    /// Whether some limit is per day or per month (and needs what was spent before).
    public var hasBudget: Bool { tokensPerDay != nil || tokensPerMonth != nil }

    /// Each limit of `self` no looser than `other`'s (a key made with a key gets no more than it).
    public func capped(by other: Limits) -> Limits {
        func least(_ a: Int?, _ b: Int?) -> Int? { b.map { min(a ?? $0, $0) } ?? a }
        return Limits(
            requestsPerMinute: least(requestsPerMinute, other.requestsPerMinute),
            tokensPerMinute: least(tokensPerMinute, other.tokensPerMinute), concurrent: least(concurrent, other.concurrent),
            tokensPerDay: least(tokensPerDay, other.tokensPerDay), tokensPerMonth: least(tokensPerMonth, other.tokensPerMonth))
    }

    /// - Throws: `HearthError.invalidRequest` for a limit below 1.
    public func validate() throws {
        let named: [(String, Int?)] = [
            ("requests_per_minute", requestsPerMinute), ("tokens_per_minute", tokensPerMinute), ("concurrent", concurrent),
            ("tokens_per_day", tokensPerDay), ("tokens_per_month", tokensPerMonth),
        ]
        for case let (field, value?) in named where value < 1 {
            throw HearthError.invalidRequest("'\(field)' must be at least 1", field: field)
        }
    }
}

/// Whose limits a request is held to: its key's and its user's, each with an id of its own
/// (`key:key_…`, `user:7`).
public struct LimitSubject: Sendable, Equatable {
    public var id: String
    public var limits: Limits

    public init(id: String, limits: Limits) {
        self.id = id
        self.limits = limits
    }
}

/// The limits of keys and users, as a value told the time. Requests per minute and tokens
/// per minute are token buckets (each holds up to its limit and refills at the limit per
/// 60 s); requests at once are counted; day and month budgets count what was spent in the
/// calendar period (UTC). A request is admitted whole or not at all: every subject's every
/// limit passes before any counts. Tokens are reserved before a generation (its prompt and
/// `max_tokens`) and settled after it (the reservation given back, what was used taken),
/// so reserved and used tokens together never exceed a limit.
public struct RequestLimits: Sendable {
    /// Why a request was refused, and when to retry.
    public struct Refusal: Equatable, Sendable {
        public enum Kind: String, Sendable {
            case requestsPerMinute = "requests per minute"
            case concurrent = "requests at once"
            case tokensPerMinute = "tokens per minute"
            case tokensPerDay = "tokens per day"
            case tokensPerMonth = "tokens per month"
        }

        public var kind: Kind
        /// The subject's id (`key:…`, `user:…`).
        public var subject: String
        public var limit: Int
        /// Seconds until the request could pass; `.infinity` when it never can (it needs more
        /// tokens than the limit).
        public var retryAfter: TimeInterval

        public init(_ kind: Kind, subject: String, limit: Int, retryAfter: TimeInterval) {
            self.kind = kind
            self.subject = subject
            self.limit = limit
            self.retryAfter = retryAfter
        }
    }

    private struct Bucket {
        var level: Double
        var updated: Date

        /// The bucket refilled at `limit` per 60 s up to `limit`, at `now`.
        func refilled(limit: Int, now: Date) -> Bucket {
            Bucket(level: min(Double(limit), level + max(0, now.timeIntervalSince(updated)) * Double(limit) / 60), updated: now)
        }
    }

    /// Tokens spent (and reserved) in the current day and month.
    private struct Spending {
        var day: Date
        var dayTokens: Int
        var month: Date
        var monthTokens: Int
    }

    private var requestBuckets: [String: Bucket] = [:]
    private var tokenBuckets: [String: Bucket] = [:]
    private var running: [String: Int] = [:]
    private var spending: [String: Spending] = [:]

    public init() {}

    // MARK: - Requests

    /// Admits one request of `subjects` at `now`, or says why not. An admitted request holds
    /// one of each subject's concurrent places until `finish(_:)`.
    public mutating func admit(_ subjects: [LimitSubject], now: Date) -> Refusal? {
        var buckets: [(String, Bucket)] = []
        for subject in subjects {
            if let concurrent = subject.limits.concurrent, running[subject.id, default: 0] >= concurrent {
                return Refusal(.concurrent, subject: subject.id, limit: concurrent, retryAfter: 1)
            }
            if let perMinute = subject.limits.requestsPerMinute {
                var bucket = (requestBuckets[subject.id] ?? Bucket(level: Double(perMinute), updated: now)).refilled(
                    limit: perMinute, now: now)
                guard bucket.level >= 1 else { return Self.requestRefusal(subject: subject.id, limit: perMinute, level: bucket.level) }
                bucket.level -= 1
                buckets.append((subject.id, bucket))
            }
        }
        for (id, bucket) in buckets { requestBuckets[id] = bucket }
        for subject in subjects where subject.limits.concurrent != nil { running[subject.id, default: 0] += 1 }
        return nil
    }

    /// An admitted request of `subjects` has ended.
    public mutating func finish(_ subjects: [LimitSubject]) {
        for subject in subjects where subject.limits.concurrent != nil {
            guard let count = running[subject.id] else { continue }
            running[subject.id] = count > 1 ? count - 1 : nil
        }
    }

    // MARK: - Tokens

    /// Whether the day's and month's spending of `id` is known (else `setSpending` first).
    public func knowsSpending(of id: String, now: Date) -> Bool {
        spending[id].map { $0.month == Self.monthStart(now) } ?? false
    }

    /// What `id` spent (recorded elsewhere) since the start of the day and of the month.
    public mutating func setSpending(of id: String, day: Int, month: Int, now: Date) {
        spending[id] = Spending(day: Self.dayStart(now), dayTokens: day, month: Self.monthStart(now), monthTokens: month)
    }

    /// The most tokens `subjects` could reserve at `now`; nil: no token limit.
    public mutating func room(for subjects: [LimitSubject], now: Date) -> Int? {
        var room: Int?
        for subject in subjects {
            for (_, _, available) in limitsOfTokens(subject, now: now) { room = min(room ?? available, available) }
        }
        return room.map { max(0, $0) }
    }

    /// Reserves `tokens` for one request of `subjects` at `now`, or says why not.
    public mutating func reserve(_ tokens: Int, for subjects: [LimitSubject], now: Date) -> Refusal? {
        for subject in subjects {
            for (kind, limit, available) in limitsOfTokens(subject, now: now) where tokens > available {
                return Self.tokenRefusal(kind, subject: subject.id, limit: limit, available: available, tokens: tokens, now: now)
            }
        }
        add(tokens, to: subjects, now: now)
        return nil
    }

    /// Why `tokens` cannot be reserved from a token limit of `subject` that has `available`
    /// left at `now`, and when they could be.
    public static func tokenRefusal(_ kind: Refusal.Kind, subject: String, limit: Int, available: Int, tokens: Int, now: Date)
        -> Refusal
    {
        let wait: TimeInterval =
            switch kind {
            case _ where tokens > limit: .infinity
            case .tokensPerMinute: Double(tokens - available) * 60 / Double(limit)
            case .tokensPerDay: dayStart(now).addingTimeInterval(86_400).timeIntervalSince(now)
            default: nextMonthStart(now).timeIntervalSince(now)
            }
        return Refusal(kind, subject: subject, limit: limit, retryAfter: wait)
    }

    /// Why a request of `subject` is refused by its `limit` requests per minute, its bucket
    /// holding `level` (below 1).
    public static func requestRefusal(subject: String, limit: Int, level: Double) -> Refusal {
        Refusal(.requestsPerMinute, subject: subject, limit: limit, retryAfter: (1 - level) * 60 / Double(limit))
    }

    /// A reservation of `reserved` tokens ended having used `used`: the difference goes back
    /// (or, when more was used, is taken too).
    public mutating func settle(reserved: Int, used: Int, for subjects: [LimitSubject], now: Date) {
        add(used - reserved, to: subjects, now: now)
    }

    /// Each token limit of `subject` with what it has left at `now`.
    private mutating func limitsOfTokens(_ subject: LimitSubject, now: Date) -> [(Refusal.Kind, Int, Int)] {
        var found: [(Refusal.Kind, Int, Int)] = []
        if let perMinute = subject.limits.tokensPerMinute {
            let bucket = (tokenBuckets[subject.id] ?? Bucket(level: Double(perMinute), updated: now)).refilled(limit: perMinute, now: now)
            tokenBuckets[subject.id] = bucket
            found.append((.tokensPerMinute, perMinute, Int(bucket.level.rounded(.down))))
        }
        if subject.limits.hasBudget {
            let spent = current(subject.id, now: now)
            if let perDay = subject.limits.tokensPerDay { found.append((.tokensPerDay, perDay, perDay - spent.dayTokens)) }
            if let perMonth = subject.limits.tokensPerMonth { found.append((.tokensPerMonth, perMonth, perMonth - spent.monthTokens)) }
        }
        return found
    }

    /// Adds `tokens` (negative: gives back) to every token limit of `subjects`.
    private mutating func add(_ tokens: Int, to subjects: [LimitSubject], now: Date) {
        for subject in subjects {
            if let perMinute = subject.limits.tokensPerMinute, var bucket = tokenBuckets[subject.id] {
                bucket = bucket.refilled(limit: perMinute, now: now)
                bucket.level = min(Double(perMinute), bucket.level - Double(tokens))
                tokenBuckets[subject.id] = bucket
            }
            if subject.limits.hasBudget {
                var spent = current(subject.id, now: now)
                spent.dayTokens = max(0, spent.dayTokens + tokens)
                spent.monthTokens = max(0, spent.monthTokens + tokens)
                spending[subject.id] = spent
            }
        }
    }

    /// `id`'s spending in the periods of `now` (a new day or month starts at 0).
    private mutating func current(_ id: String, now: Date) -> Spending {
        var spent = spending[id] ?? Spending(day: Self.dayStart(now), dayTokens: 0, month: Self.monthStart(now), monthTokens: 0)
        if spent.day != Self.dayStart(now) { (spent.day, spent.dayTokens) = (Self.dayStart(now), 0) }
        if spent.month != Self.monthStart(now) { (spent.month, spent.monthTokens) = (Self.monthStart(now), 0) }
        spending[id] = spent
        return spent
    }

    // MARK: - Calendar (UTC)

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    public static func dayStart(_ date: Date) -> Date { calendar.startOfDay(for: date) }
    public static func monthStart(_ date: Date) -> Date { calendar.dateInterval(of: .month, for: date)?.start ?? dayStart(date) }
    static func nextMonthStart(_ date: Date) -> Date { calendar.dateInterval(of: .month, for: date)?.end ?? date }
}
