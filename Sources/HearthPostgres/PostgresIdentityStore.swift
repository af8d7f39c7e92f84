import Foundation
import HearthCore
import Logging
import PostgresNIO

/// Users, API keys, sign-in sessions, usage and the audit log on PostgreSQL, shared by every
/// replica: a key revoked through one is refused by all at their next look-up.
public final class PostgresIdentityStore: IdentityStore, UsageStore, AuditStore {
    let database: PostgresDatabase
    var logger: Logger { database.logger }
    static let what = "the user store"

    /// The identity tables of `database`.
    public init(_ database: PostgresDatabase) {
        self.database = database
    }

    public func createUser(_ user: User) async throws -> User {
        try User.validate(name: user.name)
        return try await database.transaction(Self.what) { connection in
            try await PostgresDatabase.execute("SELECT pg_advisory_xact_lock(hashtext('hearth.users'))", on: connection, logger: logger)
            guard try await PostgresDatabase.rows("SELECT 1 FROM users WHERE name = \(user.name)", on: connection, logger: logger).isEmpty
            else { throw HearthError.invalidRequest("a user named '\(user.name)' exists", field: "name") }
            return try await Self.insert(user, connection, logger: logger)
        }
    }

    private static func insert(_ user: User, _ connection: PostgresConnection, logger: Logger) async throws -> User {
        let rows = try await PostgresDatabase.rows(
            """
            INSERT INTO users (name, role, disabled, created_at) VALUES (\(user.name), \(user.role.rawValue), \(user.disabled),
              \(user.createdAt.timeIntervalSince1970)) RETURNING id
            """, on: connection, logger: logger)
        var created = user
        created.id = try rows[0].get("id")
        return created
    }

    public func createFirstUser(_ user: User) async throws -> User? {
        try User.validate(name: user.name)
        return try await database.transaction(Self.what) { connection in
            // Replicas bootstrapping at once: one creates the first user, the others see it.
            try await PostgresDatabase.execute("SELECT pg_advisory_xact_lock(hashtext('hearth.users'))", on: connection, logger: logger)
            guard try await PostgresDatabase.rows("SELECT 1 FROM users LIMIT 1", on: connection, logger: logger).isEmpty else { return nil }
            return try await Self.insert(user, connection, logger: logger)
        }
    }

    public func users() async throws -> [User] {
        try await database.rows("SELECT * FROM users ORDER BY name", Self.what).map(Self.user)
    }

    public func user(named name: String) async throws -> User? {
        try await database.rows("SELECT * FROM users WHERE name = \(name)", Self.what).first.map(Self.user)
    }

    public func user(id: Int64) async throws -> User? {
        try await database.rows("SELECT * FROM users WHERE id = \(id)", Self.what).first.map(Self.user)
    }

    public func setDisabled(_ disabled: Bool, user name: String) async throws -> Bool {
        try await database.execute("UPDATE users SET disabled = \(disabled) WHERE name = \(name) RETURNING 1", Self.what) > 0
    }

    public func setLimits(_ limits: Limits, user name: String) async throws -> Bool {
        try await database.execute(
            """
            UPDATE users SET requests_per_minute = \(limits.requestsPerMinute), concurrent = \(limits.concurrent),
              tokens_per_minute = \(limits.tokensPerMinute), tokens_per_day = \(limits.tokensPerDay),
              tokens_per_month = \(limits.tokensPerMonth)
            WHERE name = \(name) RETURNING 1
            """, Self.what) > 0
    }

    public func userCount() async throws -> Int {
        try await database.rows("SELECT count(*) AS n FROM users", Self.what)[0].get("n")
    }

    public func createKey(_ key: APIKey, hash: Data) async throws {
        try await database.execute(
            """
            INSERT INTO api_keys (
              id, user_id, hash, label, prefix, created_at, expires_at, revoked_at, models, collections,
              requests_per_minute, concurrent, tokens_per_minute, tokens_per_day, tokens_per_month
            ) VALUES (
              \(key.id), \(key.userID), \(hash), \(key.label), \(key.prefix), \(key.createdAt.timeIntervalSince1970),
              \(key.expiresAt?.timeIntervalSince1970), \(key.revokedAt?.timeIntervalSince1970), \(Self.list(key.models)),
              \(Self.list(key.collections)), \(key.limits.requestsPerMinute), \(key.limits.concurrent), \(key.limits.tokensPerMinute),
              \(key.limits.tokensPerDay), \(key.limits.tokensPerMonth))
            """, Self.what)
    }

    public func key(hash: Data) async throws -> (APIKey, User)? {
        let rows = try await database.rows(
            """
            SELECT k.*, u.id AS u_id, u.name AS u_name, u.role AS u_role, u.disabled AS u_disabled, u.created_at AS u_created_at,
              u.requests_per_minute AS u_requests_per_minute, u.concurrent AS u_concurrent, u.tokens_per_minute AS u_tokens_per_minute,
              u.tokens_per_day AS u_tokens_per_day, u.tokens_per_month AS u_tokens_per_month
            FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.hash = \(hash)
            """, Self.what)
        guard let row = rows.first else { return nil }
        return (try Self.key(row), try Self.user(row, prefix: "u_"))
    }

    public func keys(userID: Int64?) async throws -> [APIKey] {
        var statement = Statement("SELECT * FROM api_keys")
        if let userID { statement += " WHERE user_id = \(try statement.bind(userID))" }
        statement += " ORDER BY created_at DESC"
        return try await database.rows(statement.query, Self.what).map(Self.key)
    }

    public func revokeKey(id: String, at date: Date) async throws -> Bool {
        try await database.execute(
            "UPDATE api_keys SET revoked_at = \(date.timeIntervalSince1970) WHERE id = \(id) AND revoked_at IS NULL RETURNING 1", Self.what)
            > 0
    }

    /// The 32 random bytes API keys and sessions are hashed with, made by the first caller
    /// and the same for every replica after.
    /// - Throws: `HearthError.internalError` when the database fails.
    public func serverSecret() async throws -> Data {
        var generator = SystemRandomNumberGenerator()
        let fresh = Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        try await database.execute(
            "INSERT INTO server_secrets (name, value) VALUES ('identity', \(fresh)) ON CONFLICT (name) DO NOTHING", Self.what)
        return try await database.rows("SELECT value FROM server_secrets WHERE name = 'identity'", Self.what)[0].get("value")
    }

    // MARK: - Passwords and sessions

    public func setPassword(_ encoded: String?, user name: String) async throws -> Bool {
        try await database.execute("UPDATE users SET password = \(encoded) WHERE name = \(name) RETURNING 1", Self.what) > 0
    }

    public func password(of name: String) async throws -> (User, String?)? {
        guard let row = try await database.rows("SELECT * FROM users WHERE name = \(name)", Self.what).first else { return nil }
        return (try Self.user(row), try row.get("password"))
    }

    public func createSession(hash: Data, userID: Int64, expiresAt: Date, keyHash: Data?) async throws {
        try await database.transaction(Self.what) { connection in
            // Expired sessions go as new ones come.
            try await PostgresDatabase.execute(
                "DELETE FROM sessions WHERE expires_at < \(Date().timeIntervalSince1970)", on: connection, logger: logger)
            try await PostgresDatabase.execute(
                """
                INSERT INTO sessions (hash, user_id, expires_at, key_hash)
                VALUES (\(hash), \(userID), \(expiresAt.timeIntervalSince1970), \(keyHash))
                """, on: connection, logger: logger)
        }
    }

    public func session(hash: Data) async throws -> (user: User, expiresAt: Date, keyHash: Data?)? {
        let rows = try await database.rows(
            """
            SELECT s.expires_at AS s_expires_at, s.key_hash AS s_key_hash, u.* FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.hash = \(hash)
            """, Self.what)
        guard let row = rows.first else { return nil }
        return (try Self.user(row), Date(timeIntervalSince1970: try row.get("s_expires_at")), try row.get("s_key_hash"))
    }

    public func deleteSession(hash: Data) async throws -> Bool {
        try await database.execute("DELETE FROM sessions WHERE hash = \(hash) RETURNING 1", Self.what) > 0
    }

    // MARK: - Usage

    public func record(_ records: [UsageRecord]) async throws {
        guard !records.isEmpty else { return }
        // 8 parameters a record; PostgreSQL takes at most 65,535 in one statement.
        for start in stride(from: 0, to: records.count, by: 1000) {
            var statement = Statement(
                "INSERT INTO usage (time, user_id, key_id, model, prompt_tokens, completion_tokens, milliseconds, status) VALUES")
            for (offset, record) in records[start..<min(start + 1000, records.count)].enumerated() {
                let values = [
                    try statement.bind(record.time.timeIntervalSince1970), try statement.bind(record.userID),
                    try statement.bind(record.keyID),
                    try statement.bind(record.model), try statement.bind(record.promptTokens), try statement.bind(record.completionTokens),
                    try statement.bind(record.milliseconds), try statement.bind(record.status),
                ]
                statement += (offset == 0 ? " (" : ", (") + values.joined(separator: ", ") + ")"
            }
            try await database.execute(statement.query, Self.what)
        }
    }

    public func totals(userID: Int64?, since: Date, by grouping: UsageGrouping) async throws -> [UsageTotal] {
        let group =
            switch grouping {
            case .day: "to_char(to_timestamp(u.time) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
            case .model: "u.model"
            case .key: "coalesce(u.key_id, '-')"
            case .user: "coalesce(users.name, '-')"
            }
        var statement = Statement()
        var condition = "u.time >= \(try statement.bind(since.timeIntervalSince1970))"
        if let userID { condition += " AND u.user_id = \(try statement.bind(userID))" }
        statement += """
            SELECT \(group) AS grp, count(*) AS requests, sum(u.prompt_tokens)::bigint AS prompt,
              sum(u.completion_tokens)::bigint AS completion
            FROM usage u LEFT JOIN users ON users.id = u.user_id
            WHERE \(condition)
            GROUP BY grp ORDER BY sum(u.prompt_tokens) + sum(u.completion_tokens) DESC, grp
            """
        return try await database.rows(statement.query, Self.what).map {
            UsageTotal(
                group: try $0.get("grp"), requests: try $0.get("requests"), promptTokens: try $0.get("prompt"),
                completionTokens: try $0.get("completion"))
        }
    }

    public func tokens(userID: Int64?, keyID: String?, since: Date) async throws -> Int {
        var statement = Statement()
        var condition = "time >= \(try statement.bind(since.timeIntervalSince1970))"
        if let userID { condition += " AND user_id = \(try statement.bind(userID))" }
        if let keyID { condition += " AND key_id = \(try statement.bind(keyID))" }
        statement += "SELECT coalesce(sum(prompt_tokens + completion_tokens), 0)::bigint AS n FROM usage WHERE \(condition)"
        return try await database.rows(statement.query, Self.what)[0].get("n")
    }

    // MARK: - Audit

    public func append(_ event: AuditEvent) async throws {
        try await database.execute(
            """
            INSERT INTO audit (time, actor, action, target, address)
            VALUES (\(event.time.timeIntervalSince1970), \(event.actor), \(event.action), \(event.target), \(event.address))
            """, Self.what)
    }

    public func auditEvents(since: Date, limit: Int) async throws -> [AuditEvent] {
        try await database.rows(
            "SELECT * FROM audit WHERE time >= \(since.timeIntervalSince1970) ORDER BY time DESC, id DESC LIMIT \(limit)", Self.what
        ).map {
            AuditEvent(
                time: Date(timeIntervalSince1970: try $0.get("time")), actor: try $0.get("actor"), action: try $0.get("action"),
                target: try $0.get("target"), address: try $0.get("address"))
        }
    }

    // MARK: - Rows

    /// A user from a row of `users`, its columns named with `prefix`.
    private static func user(_ row: PostgresRandomAccessRow, prefix: String) throws -> User {
        User(
            id: try row.get(prefix + "id"), name: try row.get(prefix + "name"), role: Role(rawValue: try row.get(prefix + "role")) ?? .user,
            disabled: try row.get(prefix + "disabled"), createdAt: Date(timeIntervalSince1970: try row.get(prefix + "created_at")),
            limits: try limits(row, prefix: prefix))
    }

    private static func user(_ row: PostgresRandomAccessRow) throws -> User { try user(row, prefix: "") }

    /// The limit columns of a `users` or `api_keys` row.
    private static func limits(_ row: PostgresRandomAccessRow, prefix: String = "") throws -> Limits {
        Limits(
            requestsPerMinute: try row.get(prefix + "requests_per_minute"), tokensPerMinute: try row.get(prefix + "tokens_per_minute"),
            concurrent: try row.get(prefix + "concurrent"), tokensPerDay: try row.get(prefix + "tokens_per_day"),
            tokensPerMonth: try row.get(prefix + "tokens_per_month"))
    }

    private static func key(_ row: PostgresRandomAccessRow) throws -> APIKey {
        APIKey(
            id: try row.get("id"), userID: try row.get("user_id"), label: try row.get("label"), prefix: try row.get("prefix"),
            createdAt: Date(timeIntervalSince1970: try row.get("created_at")),
            expiresAt: (try row.get("expires_at", as: Double?.self)).map(Date.init(timeIntervalSince1970:)),
            revokedAt: (try row.get("revoked_at", as: Double?.self)).map(Date.init(timeIntervalSince1970:)),
            models: list(try row.get("models")), collections: list(try row.get("collections")), limits: try limits(row))
    }

    /// A list as one JSON text column (nil stays NULL: no restriction).
    private static func list(_ values: [String]?) -> String? {
        values.flatMap { try? String(decoding: JSONEncoder().encode($0), as: UTF8.self) }
    }

    private static func list(_ text: String?) -> [String]? {
        text.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
    }
}
