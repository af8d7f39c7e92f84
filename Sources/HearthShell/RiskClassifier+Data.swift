import Foundation

/// Database and cache clients run from the shell: what their SQL, Mongo script or Redis
/// command would do to the data.
extension RiskClassifier {
    static let databaseClients: Set = [
        "psql", "mysql", "mariadb", "sqlite3", "mongosh", "mongo", "redis-cli", "valkey-cli", "clickhouse-client", "cqlsh",
        "dropdb", "dropuser", "mysqladmin", "pg_dropcluster", "pg_restore", "mongorestore",
    ]

    /// The verdict on a database client's command line, or nil for another program.
    static func databaseVerdict(_ program: String, _ args: [String]) -> (RiskLevel, String)? {
        guard databaseClients.contains(program) else { return nil }
        func value(after options: String...) -> String? {
            for (index, arg) in args.enumerated() {
                if options.contains(arg), index + 1 < args.count { return args[index + 1] }
                for option in options where option.hasPrefix("--") && arg.hasPrefix(option + "=") {
                    return String(arg.dropFirst(option.count + 1))
                }
                // -c'…' and -e"…" glued to their option.
                for option in options where !option.hasPrefix("--") && arg.hasPrefix(option) && arg.count > option.count {
                    return String(arg.dropFirst(option.count))
                }
            }
            return nil
        }
        switch program {
        case "dropdb", "pg_dropcluster": return (.risky, "deletes a whole database")
        case "dropuser": return (.risky, "deletes a database role")
        case "pg_restore", "mongorestore":
            if args.contains(where: { ["--clean", "-c", "--drop"].contains($0) }) { return (.risky, "drops what it restores over") }
            return (.caution, "restores a dump into a database")
        case "mysqladmin":
            if args.contains(where: { ["drop", "shutdown", "flush-hosts", "kill"].contains($0.lowercased()) }) {
                return (.risky, "drops a database or stops the server")
            }
            return (.caution, "administers a MySQL server")
        case "redis-cli", "valkey-cli":
            return redisVerdict(args)
        case "mongosh", "mongo":
            guard let script = value(after: "--eval") else { return (.caution, "opens a database shell (what it runs is not known)") }
            return mongoVerdict(script) ?? (.safe, "")
        default:
            let sql: String?
            switch program {
            case "psql": sql = value(after: "-c", "--command")
            case "sqlite3":
                let statement = args.filter { !$0.hasPrefix("-") }.dropFirst().first
                if let statement, statement.hasPrefix(".") {
                    // Dot commands: most only read; these write or run SQL from elsewhere.
                    let writes = [".import", ".restore", ".read", ".load", ".system", ".shell", ".save", ".clone"]
                    return writes.contains { statement.hasPrefix($0) }
                        ? (.caution, "runs \(statement.prefix(20)) on the database") : (.safe, "")
                }
                sql = statement
            case "clickhouse-client": sql = value(after: "-q", "--query")
            default: sql = value(after: "-e", "--execute")
            }
            guard let sql else {
                if let file = value(after: "-f", "--file") { return (.caution, "runs the SQL of \(file)") }
                return (.caution, "opens a database shell or runs SQL from its input")
            }
            return sqlVerdict(sql) ?? (.safe, "")
        }
    }

    /// What SQL statements would do: the worst of them, nil when they only read.
    static func sqlVerdict(_ sql: String) -> (RiskLevel, String)? {
        var worst: (RiskLevel, String)?
        func note(_ level: RiskLevel, _ message: String) {
            if worst.map({ level > $0.0 }) ?? true { worst = (level, message) }
        }
        for statement in sql.split(separator: ";") {
            let words = statement.uppercased().split(whereSeparator: { $0.isWhitespace || $0 == "(" || $0 == ")" }).map(String.init)
            guard let verb = words.first else { continue }
            // WHERE 1=1 and WHERE TRUE match every row.
            let whereIndex = words.firstIndex(of: "WHERE")
            let tautology =
                whereIndex.map { index in
                    let rest = words[(index + 1)...].joined(separator: " ")
                    return rest.hasPrefix("1=1") || rest.hasPrefix("1 = 1") || rest.hasPrefix("TRUE") || rest.hasPrefix("'1'='1'")
                } ?? false
            let hasWhere = whereIndex != nil && !tautology
            switch verb {
            case "DROP": note(.risky, "drops \(words.dropFirst().prefix(1).first?.lowercased() ?? "objects") for good")
            case "TRUNCATE": note(.risky, "empties tables")
            case "DELETE": note(hasWhere ? .caution : .risky, hasWhere ? "deletes rows" : "deletes every row of a table")
            case "UPDATE": note(hasWhere ? .caution : .risky, hasWhere ? "changes rows" : "changes every row of a table")
            case "ALTER":
                note(
                    words.contains("DROP") ? .risky : .caution, words.contains("DROP") ? "drops columns or constraints" : "changes a table")
            case "GRANT", "REVOKE":
                let everything = words.contains("ALL") && (statement.contains("*.*") || words.contains("SUPERUSER"))
                note(everything ? .risky : .caution, everything ? "grants every privilege on everything" : "changes privileges")
            case "RESET", "PURGE", "FLUSH":
                note(.risky, "resets or purges server state (\(words.prefix(2).joined(separator: " ").lowercased()))")
            case "SELECT", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "WITH", "PRAGMA", "\\D", "\\L", "\\DT", "VALUES", "BEGIN", "COMMIT":
                if verb == "SELECT", words.contains("INTO") { note(.caution, "writes query results") }
            default: note(.caution, "changes the database (\(verb.lowercased()))")
            }
        }
        return worst
    }

    /// What a Mongo shell script would do.
    static func mongoVerdict(_ script: String) -> (RiskLevel, String)? {
        let compact = script.filter { !$0.isWhitespace }
        if compact.contains(".dropDatabase(") || compact.contains(".drop(") {
            return (.risky, "drops a database or collection")
        }
        if compact.contains("deleteMany({})") || compact.contains("remove({})") || compact.contains("updateMany({},") {
            return (.risky, "deletes or changes every document of a collection")
        }
        let writes = ["deleteMany(", "deleteOne(", "remove(", "updateMany(", "updateOne(", "insert", "replaceOne(", "renameCollection("]
        if writes.contains(where: { compact.contains($0) }) { return (.caution, "changes documents") }
        return nil
    }

    /// What a Redis command would do (its first word after the options).
    static func redisVerdict(_ args: [String]) -> (RiskLevel, String) {
        let valued: Set = ["-h", "-p", "-s", "-a", "-u", "-n", "-r", "-i", "-d", "--user", "--pass", "--tls-cert", "--cacert"]
        var index = 0
        while index < args.count, args[index].hasPrefix("-") { index += valued.contains(args[index]) ? 2 : 1 }
        guard index < args.count else { return (.caution, "opens a Redis shell (what it runs is not known)") }
        switch args[index].uppercased() {
        case "FLUSHALL", "FLUSHDB": return (.risky, "deletes every key")
        case "SHUTDOWN": return (.risky, "stops the Redis server")
        case "DEBUG", "SLAVEOF", "REPLICAOF", "FAILOVER": return (.risky, "changes the server's role or state")
        case "CONFIG":
            let sub = index + 1 < args.count ? args[index + 1].uppercased() : ""
            return sub == "GET" ? (.safe, "") : (.risky, "changes the server's configuration (a known way in)")
        case "DEL", "UNLINK", "EXPIRE", "PEXPIRE", "RENAME", "MIGRATE", "SWAPDB", "MOVE", "GETDEL":
            return (.caution, "deletes or moves keys")
        case "GET", "MGET", "KEYS", "SCAN", "INFO", "PING", "TTL", "PTTL", "TYPE", "EXISTS", "DBSIZE", "HGET", "HGETALL", "LRANGE",
            "SMEMBERS", "ZRANGE", "STRLEN", "LLEN", "SCARD", "MONITOR", "CLIENT", "SLOWLOG", "MEMORY", "OBJECT", "XRANGE", "XLEN":
            return (.safe, "")
        default: return (.caution, "changes data (\(args[index].lowercased()))")
        }
    }
}
