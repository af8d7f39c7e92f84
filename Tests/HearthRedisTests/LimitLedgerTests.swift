import Foundation
import HearthCore
import HearthTesting
import Testing

@testable import HearthRedis

/// The limits' counts as two replicas see them: in Redis, two ledgers on two clients share
/// them; in memory (one server alone) the same rules hold for one ledger.
@Suite(.enabled(if: TestRedis.isInstalled, "Redis is not installed: run `make redis`"))
struct LimitLedgerTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case memory, redis
        var testDescription: String { rawValue }
    }

    /// Two replicas' ledgers (the same one in memory) and a way to close them.
    static func replicas(_ backend: Backend, lease: Duration = .seconds(3_600)) async throws
        -> (any LimitLedger, any LimitLedger, @Sendable () -> Void)
    {
        switch backend {
        case .memory:
            let ledger = MemoryLimitLedger()
            return (ledger, ledger, {})
        case .redis:
            let url = try await TestRedis.newDatabase()
            let (a, b) = (try RedisClient(url: url, connections: 2), try RedisClient(url: url, connections: 2))
            return (
                RedisLimitLedger(redis: a, lease: lease), RedisLimitLedger(redis: b, lease: lease),
                {
                    a.close(); b.close()
                }
            )
        }
    }

    static func subject(_ limits: Limits) -> [LimitSubject] { [LimitSubject(id: "key:" + randomID(), limits: limits)] }

    @Test func twoReplicasHammeredAtOnceAdmitExactlyTheLimit() async throws {
        let (a, b, close) = try await Self.replicas(.redis)
        defer { close() }
        let subjects = Self.subject(Limits(requestsPerMinute: 10))
        let start = ContinuousClock.now
        let refusals = try await withThrowingTaskGroup(of: RequestLimits.Refusal?.self) { group in
            for i in 0..<60 {
                group.addTask { try await (i % 2 == 0 ? a : b).admit(subjects, ticket: randomID(), now: Date()) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        // Exactly 10, unless the hammering took 6 s or more (one more is due every 6 s).
        let refilled = Int((ContinuousClock.now - start).seconds / 6)
        #expect(refusals.count { $0 == nil } >= 10 && refusals.count { $0 == nil } <= 10 + refilled)
        let refusal = try #require(refusals.compactMap { $0 }.first)
        #expect(refusal.kind == .requestsPerMinute && refusal.limit == 10 && refusal.subject == subjects[0].id)
        #expect(refusal.retryAfter > 0 && refusal.retryAfter <= 6)
    }

    @Test(arguments: Backend.allCases)
    func placesAtOnceAreSharedAndGivenBack(_ backend: Backend) async throws {
        let (a, b, close) = try await Self.replicas(backend)
        defer { close() }
        let subjects = Self.subject(Limits(concurrent: 2))
        #expect(try await a.admit(subjects, ticket: "t1", now: Date()) == nil)
        #expect(try await b.admit(subjects, ticket: "t2", now: Date()) == nil)
        let refusal = try await a.admit(subjects, ticket: "t3", now: Date())
        #expect(refusal?.kind == .concurrent && refusal?.limit == 2)
        await b.finish(subjects, ticket: "t1")
        #expect(try await b.admit(subjects, ticket: "t3", now: Date()) == nil)
        #expect(try await a.admit(subjects, ticket: "t4", now: Date())?.kind == .concurrent)
    }

    @Test func aPlaceNeverGivenBackIsFreedWhenItsLeaseEnds() async throws {
        let url = try await TestRedis.newDatabase()
        let redis = try RedisClient(url: url, connections: 1)
        defer { redis.close() }
        let ledger = RedisLimitLedger(redis: redis, lease: .seconds(600))
        let subjects = Self.subject(Limits(concurrent: 1))
        #expect(try await ledger.admit(subjects, ticket: "dies-with-its-replica", now: Date()) == nil)
        #expect(try await ledger.admit(subjects, ticket: "t2", now: Date())?.kind == .concurrent)
        // The place is leased for 600 s from Redis's clock.
        let running = RedisLimitLedger.key(subjects[0].id, "running")
        let time = try #require(try await redis.send("TIME").elements?.first?.int)
        let end = try #require(try await redis.send("ZSCORE", running, "dies-with-its-replica").int.map { $0 / 1000 })
        #expect(end >= time + 590 && end <= time + 601)
        // Its lease over (its end moved to the past), the place is free.
        try await redis.send("ZADD", running, "XX", "1", "dies-with-its-replica")
        #expect(try await ledger.admit(subjects, ticket: "t2", now: Date()) == nil)
    }

    @Test(arguments: Backend.allCases)
    func tokensAreReservedThenSettledAgainstOneBucket(_ backend: Backend) async throws {
        let (a, b, close) = try await Self.replicas(backend)
        defer { close() }
        let subjects = Self.subject(Limits(tokensPerMinute: 100))
        let start = ContinuousClock.now
        /// What the bucket has refilled since `start`, at most (100 per minute).
        func refilled() -> Int { Int((ContinuousClock.now - start).seconds * 100 / 60) + 1 }
        #expect(try await a.reserve(60, for: subjects, now: Date()) == nil)
        let refusal = try #require(try await b.reserve(100, for: subjects, now: Date()))
        #expect(refusal.kind == .tokensPerMinute && refusal.limit == 100)
        // 60 tokens short at 100 per minute: 36 s (less what has refilled since).
        #expect(refusal.retryAfter > 36 - Double(refilled()) * 0.6 && refusal.retryAfter <= 36)
        await a.settle(reserved: 60, used: 20, for: subjects, now: Date())
        let room = try #require(try await b.room(for: subjects, now: Date()))
        #expect(room >= 80 && room <= 80 + refilled())
        #expect(try await b.reserve(50, for: subjects, now: Date()) == nil)
        // More than the limit itself: waiting never helps.
        #expect(try await a.reserve(101, for: subjects, now: Date())?.retryAfter == .infinity)
    }

    @Test(arguments: Backend.allCases)
    func aDayBudgetStartsFromWhatWasSpentAndTheFirstReplicaToLoadItWins(_ backend: Backend) async throws {
        let (a, b, close) = try await Self.replicas(backend)
        defer { close() }
        let subjects = Self.subject(Limits(tokensPerDay: 1_000, tokensPerMonth: 5_000))
        let id = subjects[0].id
        let now = Date()
        #expect(try await a.knowsSpending(of: id, now: now) == false)
        try await a.setSpending(of: id, day: 900, month: 4_000, now: now)
        #expect(try await b.knowsSpending(of: id, now: now))
        // Loaded late by another replica (from a store that has moved on): ignored.
        try await b.setSpending(of: id, day: 0, month: 0, now: now)
        #expect(try await b.room(for: subjects, now: now) == 100)
        let refusal = try #require(try await b.reserve(200, for: subjects, now: now))
        #expect(refusal.kind == .tokensPerDay)
        #expect(refusal.retryAfter == RequestLimits.dayStart(now).addingTimeInterval(86_400).timeIntervalSince(now))
        #expect(try await a.reserve(100, for: subjects, now: now) == nil)
        #expect(try await b.room(for: subjects, now: now) == 0)
        await b.settle(reserved: 100, used: 40, for: subjects, now: now)
        #expect(try await a.room(for: subjects, now: now) == 60)
    }

    @Test(arguments: Backend.allCases)
    func aRequestIsRefusedWholeWhenOneOfItsSubjectsIsFull(_ backend: Backend) async throws {
        let (a, b, close) = try await Self.replicas(backend)
        defer { close() }
        let user = LimitSubject(id: "user:" + randomID(), limits: Limits(requestsPerMinute: 1))
        let key1 = LimitSubject(id: "key:" + randomID(), limits: Limits(requestsPerMinute: 5))
        let key2 = LimitSubject(id: "key:" + randomID(), limits: Limits(requestsPerMinute: 5))
        #expect(try await a.admit([key1, user], ticket: "1", now: Date()) == nil)
        let refusal = try await b.admit([key2, user], ticket: "2", now: Date())
        #expect(refusal?.subject == user.id)
        // key2 was not counted for the refused request: its 5 are all there.
        for i in 0..<5 { #expect(try await b.admit([key2], ticket: "k\(i)", now: Date()) == nil) }
        #expect(try await b.admit([key2], ticket: "k5", now: Date())?.subject == key2.id)
    }
}
