import Foundation
import HearthCore
import Logging
import PostgresNIO

/// One PostgreSQL database (`HEARTH_DATABASE_URL`): a pool of connections, migrated on
/// connect. The stores of this module share one. Open with `connect(to:logger:)`, which
/// starts the pool; `close()` ends it.
public final class PostgresDatabase: Sendable {
    let client: PostgresClient
    let logger: Logger
    private let running: Task<Void, Never>

    private init(client: PostgresClient, logger: Logger, running: Task<Void, Never>) {
        self.client = client
        self.logger = logger
        self.running = running
    }

    /// Connects to the database at `url` (`postgres://user:password@host:port/database`,
    /// `?sslmode=disable|prefer|require`) and brings its tables up to date, giving up after
    /// `timeout` (the pool would otherwise retry an unreachable server for ever).
    /// - Throws: `HearthError.invalidRequest` for a malformed URL, `.unavailable` when the
    ///   server cannot be reached or migrated.
    public static func connect(
        to url: String, timeout: Duration = .seconds(60), logger: Logger = Logger(label: "hearth.postgres")
    ) async throws -> PostgresDatabase {
        let client = PostgresClient(configuration: try configuration(url), backgroundLogger: logger)
        // The pool works while `run()` runs: until `close()`. Queries wait for it to start.
        let (started, starting) = AsyncStream<Void>.makeStream()
        let running = Task {
            starting.finish()
            await client.run()
        }
        for await _ in started {}
        let database = PostgresDatabase(client: client, logger: logger, running: running)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await database.migrate() }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw HearthError(.unavailable, "no answer in \(timeout)")
                }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            database.close()
            throw HearthError(
                .unavailable, "cannot open the PostgreSQL database", detail: "\(redacted(url)): \(PostgresDatabase.reason(error))")
        }
        return database
    }

    /// Ends every connection; the stores over this database fail from then on.
    public func close() {
        running.cancel()
    }

    /// The client settings a URL names.
    static func configuration(_ text: String) throws -> PostgresClient.Configuration {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""), let host = url.host,
            !host.isEmpty
        else {
            throw HearthError.invalidRequest("HEARTH_DATABASE_URL must look like postgres://user:password@host:5432/database")
        }
        let query = Dictionary((url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        let tls: PostgresClient.Configuration.TLS
        switch query["sslmode"] ?? "prefer" {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        case let mode: throw HearthError.invalidRequest("HEARTH_DATABASE_URL has an unknown sslmode '\(mode)'")
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        var configuration = PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: url.user.flatMap { $0.removingPercentEncoding } ?? "postgres",
            password: url.password.flatMap { $0.removingPercentEncoding }, database: database.isEmpty ? nil : database, tls: tls)
        configuration.options.maximumConnections = Int(query["pool_size"] ?? "") ?? 20
        return configuration
    }

    /// `url` without its password, for messages.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "(the database URL)" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "(the database URL)"
    }

    // MARK: - Migrations

    /// Applies the migrations this database has not seen, in order, each in its transaction,
    /// under an advisory lock: replicas starting together migrate once.
    private func migrate() async throws {
        try await client.withConnection { connection in
            try await Self.execute("SELECT pg_advisory_lock(\(Self.migrationLock))", on: connection, logger: logger)
            do {
                try await Self.execute(
                    """
                    CREATE TABLE IF NOT EXISTS hearth_migrations (
                      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                    """, on: connection, logger: logger)
                var applied = Set<Int>()
                for try await version in try await connection.query("SELECT version FROM hearth_migrations", logger: logger)
                    .decode(Int.self)
                {
                    applied.insert(version)
                }
                for (index, migration) in PostgresSchema.migrations.enumerated() where !applied.contains(index + 1) {
                    try await connection.withTransaction(logger: logger) { connection in
                        for statement in migration.statements {
                            try await Self.execute(PostgresQuery(unsafeSQL: statement), on: connection, logger: logger)
                        }
                        try await Self.execute(
                            "INSERT INTO hearth_migrations (version, name) VALUES (\(index + 1), \(migration.name))", on: connection,
                            logger: logger)
                    }
                }
            } catch {
                _ = try? await Self.execute("SELECT pg_advisory_unlock(\(Self.migrationLock))", on: connection, logger: logger)
                throw error
            }
            try await Self.execute("SELECT pg_advisory_unlock(\(Self.migrationLock))", on: connection, logger: logger)
        }
    }

    /// The advisory lock migrations hold ("hearth" in ASCII).
    private static let migrationLock: Int64 = 0x68_65_61_72_74_68

    // MARK: - Queries

    /// Runs `query` and returns its rows; failures become `HearthError` (`what` names the
    /// store in the message).
    func rows(_ query: PostgresQuery, _ what: String = "the database") async throws -> [PostgresRandomAccessRow] {
        do {
            return try await client.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
        } catch {
            throw Self.error(error, what: what, writing: false)
        }
    }

    /// Runs `query` for its effect; returns the rows it returned (PostgresNIO does not tell
    /// how many rows a statement changed: end it with `RETURNING 1` to count them).
    @discardableResult
    func execute(_ query: PostgresQuery, _ what: String = "the database") async throws -> Int {
        do {
            return try await client.withConnection { connection in try await Self.execute(query, on: connection, logger: logger) }
        } catch {
            throw Self.error(error, what: what, writing: true)
        }
    }

    /// Runs `body` in one transaction: all of it or nothing.
    func transaction<T: Sendable>(_ what: String = "the database", _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch {
            throw Self.error(error, what: what, writing: true)
        }
    }

    /// The rows of `query` on `connection` (inside a transaction).
    static func rows(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        try await connection.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
    }

    /// Runs `query` on `connection`; returns the rows it returned.
    @discardableResult
    static func execute(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        var count = 0
        for try await _ in try await connection.query(query, logger: logger) { count += 1 }
        return count
    }

    /// `error` as the stores throw it: a `HearthError` passes; a unique violation is the
    /// caller's mistake; anything else is an internal error whose detail (never shown to
    /// clients) is PostgreSQL's message without the SQL.
    static func error(_ error: any Error, what: String, writing: Bool) -> HearthError {
        if let error = error as? HearthError { return error }
        if let transaction = error as? PostgresTransactionError {
            return Self.error(
                transaction.closureError ?? transaction.beginError ?? transaction.commitError ?? error, what: what, writing: writing)
        }
        return HearthError(.internalError, "\(what) failed to \(writing ? "write" : "read")", detail: reason(error))
    }

    /// Why a query failed, without the query.
    static func reason(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                return "\(error.serverInfo?[.sqlState] ?? "?"): \(message)"
            }
            return "\(error.code)"
        }
        return "\(error)"
    }
}

extension PostgresRandomAccessRow {
    /// The value of `column` as `T` (an optional type for a column that may be NULL).
    func get<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }
}
