import Foundation
import HearthCore

/// The limits' counts in Redis, shared by every replica: each check-and-count is one Lua
/// script, which Redis runs atomically, so N replicas admit what one would. Buckets refill
/// by Redis's clock (`TIME`), not the replicas'. Keys, under `hearth:limits:SUBJECT:`:
/// `requests` and `tokens` (buckets: a level and when it was read, gone once full again),
/// `running` (a sorted set of the tickets of requests running now, each with when its lease
/// ends: a replica that dies holding places frees them then), `day:DATE` and `month:MONTH`
/// (tokens spent, kept a little past their period).
public final class RedisLimitLedger: LimitLedger {
    private let redis: RedisClient
    /// How long a running request holds its place at most, when its replica never says it ended.
    private let lease: Duration

    public init(redis: RedisClient, lease: Duration = .seconds(3_600)) {
        self.redis = redis
        self.lease = lease
    }

    // MARK: - Requests

    public func admit(_ subjects: [LimitSubject], ticket: String, now: Date) async throws -> RequestLimits.Refusal? {
        let keys = subjects.flatMap { [Self.key($0.id, "requests"), Self.key($0.id, "running")] }
        let arguments =
            [ticket, String(Int(lease.seconds * 1000))]
            + subjects.flatMap { [String($0.limits.requestsPerMinute ?? 0), String($0.limits.concurrent ?? 0)] }
        let reply = try await run(Self.admitScript, keys: keys, arguments: arguments)
        guard let refusal = reply.elements, refusal.count == 3, let index = refusal[1].int, subjects.indices.contains(index - 1),
            let limit = refusal[2].int
        else { return nil }
        let subject = subjects[index - 1].id
        if refusal[0].string == "concurrent" { return RequestLimits.Refusal(.concurrent, subject: subject, limit: limit, retryAfter: 1) }
        return RequestLimits.requestRefusal(subject: subject, limit: limit, level: Double(refusal[0].string ?? "") ?? 0)
    }

    public func finish(_ subjects: [LimitSubject], ticket: String) async {
        let running = subjects.filter { $0.limits.concurrent != nil }.map { Self.key($0.id, "running") }
        guard !running.isEmpty else { return }
        // Tried again while Redis is away for a few seconds (removing a ticket twice is
        // harmless); lost, the place is freed when its lease ends.
        await Self.retrying { try await self.run(Self.finishScript, keys: running, arguments: [ticket]) }
    }

    // MARK: - Tokens

    public func knowsSpending(of id: String, now: Date) async throws -> Bool {
        try await send(["EXISTS", Self.monthKey(id, now)]).int == 1
    }

    public func setSpending(of id: String, day: Int, month: Int, now: Date) async throws {
        _ = try await send(["SET", Self.monthKey(id, now), String(month), "NX", "EX", String(Self.monthSeconds)])
        _ = try await send(["SET", Self.dayKey(id, now), String(day), "NX", "EX", String(Self.daySeconds)])
    }

    public func room(for subjects: [LimitSubject], now: Date) async throws -> Int? {
        try await tokens("room", 0, subjects, now: now).int.map { max(0, $0) }
    }

    public func reserve(_ tokens: Int, for subjects: [LimitSubject], now: Date) async throws -> RequestLimits.Refusal? {
        let reply = try await self.tokens("reserve", tokens, subjects, now: now)
        guard let refusal = reply.elements, refusal.count == 4, let index = refusal[1].int, subjects.indices.contains(index - 1),
            let limit = refusal[2].int, let available = refusal[3].int
        else { return nil }
        let kind: RequestLimits.Refusal.Kind =
            switch refusal[0].string {
            case "minute": .tokensPerMinute
            case "day": .tokensPerDay
            default: .tokensPerMonth
            }
        return RequestLimits.tokenRefusal(
            kind, subject: subjects[index - 1].id, limit: limit, available: available, tokens: tokens, now: now)
    }

    public func settle(reserved: Int, used: Int, for subjects: [LimitSubject], now: Date) async {
        // Never tried again (a settlement that ran but whose reply was lost would count twice);
        // lost, the reservation stays counted as used: never more than the limit.
        _ = try? await tokens("add", used - reserved, subjects, now: now)
    }

    /// Runs `body` until it succeeds, five times at most, 0.1 s to 1.6 s apart.
    private static func retrying(_ body: () async throws -> RESPValue) async {
        var pause = Duration.milliseconds(100)
        for attempt in 1...5 {
            do {
                _ = try await body()
                return
            } catch {
                guard attempt < 5 else { return }
                try? await Task.sleep(for: pause)
                pause *= 2
            }
        }
    }

    /// Runs the token script in `mode` for the token limits of `subjects`.
    private func tokens(_ mode: String, _ tokens: Int, _ subjects: [LimitSubject], now: Date) async throws -> RESPValue {
        let limited = subjects.filter { $0.limits.limitsTokens }
        guard !limited.isEmpty else { return .null }
        let keys = limited.flatMap { [Self.key($0.id, "tokens"), Self.dayKey($0.id, now), Self.monthKey($0.id, now)] }
        let arguments =
            [mode, String(tokens), String(Self.daySeconds), String(Self.monthSeconds)]
            + limited.flatMap { subject in
                [subject.limits.tokensPerMinute, subject.limits.tokensPerDay, subject.limits.tokensPerMonth].map { String($0 ?? 0) }
            }
        let reply = try await run(Self.tokensScript, keys: keys, arguments: arguments)
        // The script counts the limited subjects only: refer back to `subjects`.
        guard case .array(var refusal) = reply, refusal.count == 4, let index = refusal[1].int else { return reply }
        refusal[1] = .integer((subjects.firstIndex { $0.id == limited[index - 1].id } ?? 0) + 1)
        return .array(refusal)
    }

    // MARK: - Redis

    private func run(_ script: RedisScript, keys: [String], arguments: [String]) async throws -> RESPValue {
        do {
            return try await redis.run(script, keys: keys, arguments: arguments)
        } catch let error as RedisError {
            throw HearthError(.internalError, "the shared limits could not be checked", detail: "Redis: \(error.message)")
        } catch let error as HearthError {
            throw HearthError(.unavailable, "the shared limits in Redis cannot be reached; retry shortly", detail: error.detail)
        }
    }

    private func send(_ arguments: [String]) async throws -> RESPValue {
        do {
            return try await redis.send(arguments)
        } catch let error as HearthError {
            throw HearthError(.unavailable, "the shared limits in Redis cannot be reached; retry shortly", detail: error.detail)
        }
    }

    static func key(_ subject: String, _ part: String) -> String { "hearth:limits:\(subject):\(part)" }

    static func dayKey(_ subject: String, _ now: Date) -> String {
        key(subject, "day:" + String(Int(RequestLimits.dayStart(now).timeIntervalSince1970)))
    }

    static func monthKey(_ subject: String, _ now: Date) -> String {
        key(subject, "month:" + String(Int(RequestLimits.monthStart(now).timeIntervalSince1970)))
    }

    /// How long spending is kept: past its period, for a replica whose clock is late.
    static let daySeconds = 2 * 86_400
    static let monthSeconds = 33 * 86_400

    // MARK: - Scripts

    /// KEYS: each subject's `requests` and `running`. ARGV: the ticket, the lease in ms, then
    /// each subject's requests per minute and concurrent places (0: none). Returns nil when
    /// admitted, else {reason, subject (1-based), limit} where reason is `concurrent` or the
    /// bucket's level.
    static let admitScript = RedisScript(
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local ticket, lease = ARGV[1], tonumber(ARGV[2])
        local n = #KEYS / 2
        local levels = {}
        for i = 1, n do
          local perMinute, concurrent = tonumber(ARGV[2 * i + 1]), tonumber(ARGV[2 * i + 2])
          if concurrent > 0 then
            redis.call('ZREMRANGEBYSCORE', KEYS[2 * i], '-inf', now)
            if redis.call('ZCARD', KEYS[2 * i]) >= concurrent then return {'concurrent', i, concurrent} end
          end
          if perMinute > 0 then
            local bucket = redis.call('HMGET', KEYS[2 * i - 1], 'level', 'at')
            local level = tonumber(bucket[1]) or perMinute
            local at = tonumber(bucket[2]) or now
            level = math.min(perMinute, level + math.max(0, now - at) * perMinute / 60000)
            if level < 1 then return {tostring(level), i, perMinute} end
            levels[i] = level - 1
          end
        end
        for i = 1, n do
          local perMinute, concurrent = tonumber(ARGV[2 * i + 1]), tonumber(ARGV[2 * i + 2])
          if perMinute > 0 then
            redis.call('HSET', KEYS[2 * i - 1], 'level', tostring(levels[i]), 'at', now)
            redis.call('PEXPIRE', KEYS[2 * i - 1], math.ceil((perMinute - levels[i]) * 60000 / perMinute) + 1000)
          end
          if concurrent > 0 then
            redis.call('ZADD', KEYS[2 * i], now + lease, ticket)
            redis.call('PEXPIRE', KEYS[2 * i], lease)
          end
        end
        return nil
        """)

    /// KEYS: each subject's `running`. ARGV: the ticket.
    static let finishScript = RedisScript(
        """
        for i = 1, #KEYS do redis.call('ZREM', KEYS[i], ARGV[1]) end
        return nil
        """)

    /// KEYS: each subject's `tokens`, `day:…` and `month:…`. ARGV: the mode (`room`,
    /// `reserve`, `add`), the tokens, the day's and month's lifetimes in seconds, then each
    /// subject's tokens per minute, per day and per month (0: none). `room` returns the least
    /// any limit has left (nil: none); `reserve` returns nil when the tokens were taken from
    /// every limit, else {limit kind, subject (1-based), limit, left}; `add` adds the tokens
    /// (negative: gives back) to every limit.
    static let tokensScript = RedisScript(
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local mode, tokens = ARGV[1], tonumber(ARGV[2])
        local daySeconds, monthSeconds = tonumber(ARGV[3]), tonumber(ARGV[4])
        local n = #KEYS / 3
        local least = nil
        local levels = {}
        for i = 1, n do
          local perMinute, perDay, perMonth = tonumber(ARGV[3 * i + 2]), tonumber(ARGV[3 * i + 3]), tonumber(ARGV[3 * i + 4])
          local left = {}
          if perMinute > 0 then
            local bucket = redis.call('HMGET', KEYS[3 * i - 2], 'level', 'at')
            local level = tonumber(bucket[1]) or perMinute
            local at = tonumber(bucket[2]) or now
            levels[i] = math.min(perMinute, level + math.max(0, now - at) * perMinute / 60000)
            left[#left + 1] = {'minute', perMinute, math.floor(levels[i])}
          end
          if perDay > 0 then left[#left + 1] = {'day', perDay, perDay - (tonumber(redis.call('GET', KEYS[3 * i - 1])) or 0)} end
          if perMonth > 0 then left[#left + 1] = {'month', perMonth, perMonth - (tonumber(redis.call('GET', KEYS[3 * i])) or 0)} end
          for _, limit in ipairs(left) do
            if least == nil or limit[3] < least then least = limit[3] end
            if mode == 'reserve' and tokens > limit[3] then return {limit[1], i, limit[2], limit[3]} end
          end
        end
        if mode == 'room' then return least end
        for i = 1, n do
          local perMinute, perDay, perMonth = tonumber(ARGV[3 * i + 2]), tonumber(ARGV[3 * i + 3]), tonumber(ARGV[3 * i + 4])
          if perMinute > 0 then
            local level = math.min(perMinute, levels[i] - tokens)
            redis.call('HSET', KEYS[3 * i - 2], 'level', tostring(level), 'at', now)
            redis.call('PEXPIRE', KEYS[3 * i - 2], math.ceil((perMinute - level) * 60000 / perMinute) + 1000)
          end
          if perDay > 0 or perMonth > 0 then
            for k = 3 * i - 1, 3 * i do
              local spent = math.max(0, (tonumber(redis.call('GET', KEYS[k])) or 0) + tokens)
              redis.call('SET', KEYS[k], spent, 'EX', k == 3 * i and monthSeconds or daySeconds)
            end
          end
        end
        return nil
        """)
}
