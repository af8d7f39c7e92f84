import Foundation
import GRDB
import HearthCore

/// Users, API keys, usage, the audit log and conversations in the same SQLite database as the
/// knowledge base.
public final class SQLiteIdentityStore: IdentityStore, UsageStore, AuditStore {
    let pool: DatabasePool

    /// The identity tables of `knowledge`'s database.
    public init(_ knowledge: SQLiteKnowledgeStore) {
        pool = knowledge.pool
    }

    public func createUser(_ user: User) async throws -> User {
        try User.validate(name: user.name)
        return try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE name = ?", arguments: [user.name]) == nil else {
                throw HearthError.invalidRequest("a user named '\(user.name)' exists", field: "name")
            }
            return try Self.insert(user, db)
        }
    }

    private static func insert(_ user: User, _ db: Database) throws -> User {
        try db.execute(
            sql: "INSERT INTO users (name, role, disabled, created_at) VALUES (?, ?, ?, ?)",
            arguments: [user.name, user.role.rawValue, user.disabled, user.createdAt.timeIntervalSince1970])
        var created = user
        created.id = db.lastInsertedRowID
        return created
    }

    public func createFirstUser(_ user: User) async throws -> User? {
        try User.validate(name: user.name)
        return try await write { db in
            guard try Int.fetchOne(db, sql: "SELECT count(*) FROM users") == 0 else { return nil }
            return try Self.insert(user, db)
        }
    }

    public func users() async throws -> [User] {
        try await read { db in try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY name").map(Self.user) }
    }

    public func user(named name: String) async throws -> User? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM users WHERE name = ?", arguments: [name]).map(Self.user) }
    }

    public func user(id: Int64) async throws -> User? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [id]).map(Self.user) }
    }

    public func setDisabled(_ disabled: Bool, user name: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE users SET disabled = ? WHERE name = ?", arguments: [disabled, name])
            return db.changesCount > 0
        }
    }

    public func setLimits(_ limits: Limits, user name: String) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE users SET requests_per_minute = ?, concurrent = ?, tokens_per_minute = ?, tokens_per_day = ?,
                      tokens_per_month = ? WHERE name = ?
                    """,
                arguments: [
                    limits.requestsPerMinute, limits.concurrent, limits.tokensPerMinute, limits.tokensPerDay, limits.tokensPerMonth, name,
                ])
            return db.changesCount > 0
        }
    }

    public func userCount() async throws -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM users") ?? 0 }
    }

    public func createKey(_ key: APIKey, hash: Data) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO api_keys (
                      id, user_id, hash, label, prefix, created_at, expires_at, revoked_at, models, collections,
                      requests_per_minute, concurrent, tokens_per_minute, tokens_per_day, tokens_per_month
                    ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    key.id, key.userID, hash, key.label, key.prefix, key.createdAt.timeIntervalSince1970,
                    key.expiresAt?.timeIntervalSince1970, key.revokedAt?.timeIntervalSince1970, Self.list(key.models),
                    Self.list(key.collections), key.limits.requestsPerMinute, key.limits.concurrent, key.limits.tokensPerMinute,
                    key.limits.tokensPerDay, key.limits.tokensPerMonth,
                ])
        }
    }

    public func key(hash: Data) async throws -> (APIKey, User)? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE hash = ?", arguments: [hash]),
                let user = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [row["user_id"] as Int64])
            else { return nil }
            return (Self.key(row), Self.user(user))
        }
    }

    public func keys(userID: Int64?) async throws -> [APIKey] {
        try await read { db in
            let rows =
                if let userID {
                    try Row.fetchAll(db, sql: "SELECT * FROM api_keys WHERE user_id = ? ORDER BY created_at DESC", arguments: [userID])
                } else {
                    try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY created_at DESC")
                }
            return rows.map(Self.key)
        }
    }

    public func revokeKey(id: String, at date: Date) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                arguments: [date.timeIntervalSince1970, id])
            return db.changesCount > 0
        }
    }

    // MARK: - Passwords and sessions

    public func setPassword(_ encoded: String?, user name: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE users SET password = ? WHERE name = ?", arguments: [encoded, name])
            return db.changesCount > 0
        }
    }

    public func password(of name: String) async throws -> (User, String?)? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE name = ?", arguments: [name]).map { (Self.user($0), $0["password"]) }
        }
    }

    public func createSession(hash: Data, userID: Int64, expiresAt: Date, keyHash: Data?) async throws {
        try await write { db in
            // Expired sessions go as new ones come.
            try db.execute(sql: "DELETE FROM sessions WHERE expires_at < ?", arguments: [Date().timeIntervalSince1970])
            try db.execute(
                sql: "INSERT INTO sessions (hash, user_id, expires_at, key_hash) VALUES (?, ?, ?, ?)",
                arguments: [hash, userID, expiresAt.timeIntervalSince1970, keyHash])
        }
    }

    public func session(hash: Data) async throws -> (user: User, expiresAt: Date, keyHash: Data?)? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM sessions WHERE hash = ?", arguments: [hash]),
                let user = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [row["user_id"] as Int64])
            else { return nil }
            return (Self.user(user), Date(timeIntervalSince1970: row["expires_at"]), row["key_hash"])
        }
    }

    public func deleteSession(hash: Data) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE hash = ?", arguments: [hash])
            return db.changesCount > 0
        }
    }

    // MARK: - Usage

    public func record(_ records: [UsageRecord]) async throws {
        guard !records.isEmpty else { return }
        try await write { db in
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO usage (time, user_id, key_id, model, prompt_tokens, completion_tokens, milliseconds, status)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for record in records {
                try insert.execute(arguments: [
                    record.time.timeIntervalSince1970, record.userID, record.keyID, record.model, record.promptTokens,
                    record.completionTokens, record.milliseconds, record.status,
                ])
            }
        }
    }

    public func totals(userID: Int64?, since: Date, by grouping: UsageGrouping) async throws -> [UsageTotal] {
        let group =
            switch grouping {
            case .day: "strftime('%Y-%m-%d', u.time, 'unixepoch')"
            case .model: "u.model"
            case .key: "coalesce(u.key_id, '-')"
            case .user: "coalesce(users.name, '-')"
            }
        return try await read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(group) AS grp, count(*) AS requests, sum(u.prompt_tokens) AS prompt, sum(u.completion_tokens) AS completion
                    FROM usage u LEFT JOIN users ON users.id = u.user_id
                    WHERE u.time >= ? AND (? IS NULL OR u.user_id = ?)
                    GROUP BY grp ORDER BY prompt + completion DESC, grp
                    """,
                arguments: [since.timeIntervalSince1970, userID, userID])
            return rows.map {
                UsageTotal(group: $0["grp"], requests: $0["requests"], promptTokens: $0["prompt"], completionTokens: $0["completion"])
            }
        }
    }

    public func tokens(userID: Int64?, keyID: String?, since: Date) async throws -> Int {
        try await read { db in
            try Int.fetchOne(
                db,
                sql: """
                    SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) FROM usage
                    WHERE time >= ? AND (? IS NULL OR user_id = ?) AND (? IS NULL OR key_id = ?)
                    """, arguments: [since.timeIntervalSince1970, userID, userID, keyID, keyID]) ?? 0
        }
    }

    // MARK: - Audit

    public func append(_ event: AuditEvent) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO audit (time, actor, action, target, address) VALUES (?, ?, ?, ?, ?)",
                arguments: [event.time.timeIntervalSince1970, event.actor, event.action, event.target, event.address])
        }
    }

    public func auditEvents(since: Date, limit: Int) async throws -> [AuditEvent] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM audit WHERE time >= ? ORDER BY time DESC, id DESC LIMIT ?",
                arguments: [since.timeIntervalSince1970, limit]
            ).map {
                AuditEvent(
                    time: Date(timeIntervalSince1970: $0["time"]), actor: $0["actor"], action: $0["action"], target: $0["target"],
                    address: $0["address"])
            }
        }
    }

    // MARK: - Rows

    private static func user(_ row: Row) -> User {
        User(
            id: row["id"], name: row["name"], role: Role(rawValue: row["role"]) ?? .user, disabled: row["disabled"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]), limits: limits(row))
    }

    /// The limit columns of a `users` or `api_keys` row.
    private static func limits(_ row: Row) -> Limits {
        Limits(
            requestsPerMinute: row["requests_per_minute"], tokensPerMinute: row["tokens_per_minute"], concurrent: row["concurrent"],
            tokensPerDay: row["tokens_per_day"], tokensPerMonth: row["tokens_per_month"])
    }

    private static func key(_ row: Row) -> APIKey {
        APIKey(
            id: row["id"], userID: row["user_id"], label: row["label"], prefix: row["prefix"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            expiresAt: (row["expires_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            revokedAt: (row["revoked_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            models: list(row["models"]), collections: list(row["collections"]), limits: limits(row))
    }

    /// A list as one JSON text column (nil stays NULL: no restriction).
    private static func list(_ values: [String]?) -> String? {
        values.flatMap { try? String(decoding: JSONEncoder().encode($0), as: UTF8.self) }
    }

    private static func list(_ text: String?) -> [String]? {
        text.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
    }

    func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do { return try await pool.read(body) } catch let error as HearthError { throw error } catch {
            throw HearthError(.internalError, "the user store failed to read", detail: SQLiteKnowledgeStore.reason(error))
        }
    }

    func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do { return try await pool.write(body) } catch let error as HearthError { throw error } catch {
            throw HearthError(.internalError, "the user store failed to write", detail: SQLiteKnowledgeStore.reason(error))
        }
    }
}
