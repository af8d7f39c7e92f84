import Foundation
import HearthCore
import Logging
import Synchronization

/// Usage accounting: every answered request that used a model is recorded (principal,
/// model, tokens, latency, status). Records are buffered off the request path and written
/// in batches by `run()`; `flush()` writes what is buffered now.
public final class UsageService: Sendable {
    let store: (any UsageStore)?
    private let buffer = Mutex<[UsageRecord]>([])
    private let now: @Sendable () -> Date
    private let logger: Logger

    public init(store: (any UsageStore)? = nil, now: @escaping @Sendable () -> Date = Date.init, logger: Logger = Logger(label: "hearth")) {
        self.store = store
        self.now = now
        self.logger = logger
    }

    /// Records one request of `principal` (a cheap append; written later).
    public func record(
        _ principal: Principal, model: String, promptTokens: Int, completionTokens: Int, milliseconds: Double, status: Int
    ) {
        guard store != nil else { return }
        let record = UsageRecord(
            time: now(), userID: principal.user.flatMap { $0.id > 0 ? $0.id : nil }, keyID: principal.key?.id, model: model,
            promptTokens: promptTokens, completionTokens: completionTokens, milliseconds: milliseconds, status: status)
        buffer.withLock { $0.append(record) }
    }

    /// Writes the buffered records.
    /// - Throws: the store's errors (the records are kept for the next try).
    public func flush() async throws {
        guard let store else { return }
        let records = buffer.withLock { buffer in
            defer { buffer = [] }
            return buffer
        }
        do {
            try await store.record(records)
        } catch {
            buffer.withLock { $0.insert(contentsOf: records, at: 0) }
            throw error
        }
    }

    /// Writes the buffer every second until cancelled (then call `save()` once more).
    public func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            if !Task.isCancelled { await save() }
        }
    }

    /// Writes the buffer, logging a failure (the records stay for the next try).
    public func save() async {
        do {
            try await flush()
        } catch {
            logger.error("could not write usage", metadata: ["hearth.error": .string(String(reflecting: error))])
        }
    }

    /// Tokens spent since `date` by a limit subject (`key:…`, `user:…`), buffered records included.
    func spent(by subject: String, since date: Date) async throws -> Int {
        guard let store else { return 0 }
        try await flush()
        if subject.hasPrefix("key:") { return try await store.tokens(userID: nil, keyID: String(subject.dropFirst(4)), since: date) }
        guard let id = Int64(subject.dropFirst("user:".count)) else { return 0 }
        return try await store.tokens(userID: id, keyID: nil, since: date)
    }

    /// Totals over the last `days` days by `grouping`: the principal's own, or, for an
    /// administrator, everyone's (or one user's when `user` is named).
    /// - Throws: `HearthError.forbidden` when a user asks for another's; `.invalidRequest` for
    ///   a bad range.
    public func totals(days: Double, by grouping: UsageGrouping, user: String? = nil, identity: IdentityService, principal: Principal)
        async throws -> [UsageTotal]
    {
        guard let store else { throw HearthError(.unavailable, "this server keeps no usage") }
        guard days > 0, days <= 3660 else { throw HearthError.invalidRequest("'days' must be between 0 and 3660", field: "days") }
        try await flush()
        var userID: Int64?
        if principal.isAdmin {
            if let user {
                guard let found = try await identity.store?.user(named: user) else { throw IdentityService.userNotFound(user) }
                userID = found.id
            }
        } else {
            guard user == nil || user == principal.user?.name else { throw IdentityService.userNotFound(user ?? "") }
            userID = principal.user?.id ?? -1
        }
        return try await store.totals(userID: userID, since: now().addingTimeInterval(-days * 86_400), by: grouping)
    }
}
