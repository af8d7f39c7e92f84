import PostgresNIO

/// A statement built piece by piece where its shape depends on the request (a filter, a list
/// of words): every value is bound as a parameter, never spliced into the text.
struct Statement {
    private(set) var sql: String
    private(set) var binds = PostgresBindings()

    init(_ sql: String = "") { self.sql = sql }

    /// Appends text.
    static func += (statement: inout Statement, text: String) { statement.sql += text }

    /// Binds `value` and returns its placeholder (`$n`).
    mutating func bind<Value: PostgresThrowingDynamicTypeEncodable>(_ value: Value) throws -> String {
        try binds.append(value)
        return "$\(binds.count)"
    }

    /// Binds `value`, NULL when nil, and returns its placeholder.
    mutating func bind<Value: PostgresThrowingDynamicTypeEncodable>(_ value: Value?) throws -> String {
        try binds.append(value)
        return "$\(binds.count)"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
}
