import Foundation
import HearthCore
import PostgresNIO

extension PostgresKnowledgeStore {
    /// Chunks matching words of `query`, scored by BM25 as the SQLite store's FTS5 does
    /// (k1 1.2, b 0.75; a word in the heading counts half): each word's inverse document
    /// frequency in the collection times its saturated frequency in the chunk, normalised by
    /// the chunk's length against the collection's average.
    public func keywordSearch(_ query: String, in collection: String, k: Int, filter: SearchFilter) async throws -> [RankedChunk] {
        let words = KeywordQuery.words(query)
        guard !words.isEmpty, k > 0 else { return [] }
        let collectionID = try await collectionRow(collection).id
        let terms = try await terms(words, collectionID: collectionID)
        guard !terms.lexemes.isEmpty else { return [] }
        var statement = Statement()
        // K of BM25's denominator: the chunk's length against the average.
        let lengthFactor = "1.2 * (0.25 + 0.75 * c.word_count / \(try statement.bind(max(terms.averageLength, 1))))"
        var scores: [String] = []
        var queries: [String] = []
        for (lexeme, idf) in zip(terms.lexemes, terms.idf) {
            let word = try statement.bind(lexeme)
            let frequency = "coalesce((c.frequencies ->> \(word))::float8, 0)"
            scores.append("\(try statement.bind(idf)) * \(frequency) * 2.2 / (\(frequency) + \(lengthFactor))")
            queries.append("quote_literal(\(word))::tsquery")
        }
        let (join, conditions) = try Self.filterSQL(filter, into: &statement)
        statement += """
            SELECT c.id, \(scores.joined(separator: " + ")) AS score FROM chunks c\(join)
            WHERE c.collection_id = \(try statement.bind(collectionID)) AND c.words @@ (\(queries.joined(separator: " || ")))\(conditions)
            ORDER BY score DESC, c.id LIMIT \(try statement.bind(k))
            """
        return try await database.rows(statement.query, Self.what).map { RankedChunk(id: try $0.get("id"), score: try $0.get("score")) }
    }

    /// The words as the index keeps them (stemmed, PostgreSQL's English stop words gone) with
    /// their inverse document frequency in the collection, and the collection's average chunk
    /// length, from the statistics the database keeps (`chunk_terms`): one query. Lexemes in
    /// no chunk, and those too common to weigh (`KeywordQuery.commonWordLimit`), are left out.
    private func terms(_ words: [String], collectionID: Int64) async throws -> (lexemes: [String], idf: [Double], averageLength: Double) {
        let rows = try await database.rows(
            """
            SELECT t.lexeme, t.chunks, t.words FROM chunk_terms t
            WHERE t.collection_id = \(collectionID) AND t.lexeme IN (
              SELECT '' UNION SELECT u.lexeme FROM unnest(\(words)::text[]) AS w(word), unnest(to_tsvector('english', w.word)) AS u)
            ORDER BY t.lexeme
            """, Self.what)
        guard let totals = rows.first, try totals.get("lexeme", as: String.self).isEmpty else { return ([], [], 0) }
        let total = try totals.get("chunks", as: Int.self)
        let averageLength = Double(try totals.get("words", as: Int.self)) / Double(max(total, 1))
        let limit = KeywordQuery.commonWordLimit(total: total)
        var lexemes: [String] = []
        var idf: [Double] = []
        for row in rows.dropFirst() {
            let count = try row.get("chunks", as: Int.self)
            guard count > 0, count <= limit else { continue }
            lexemes.append(try row.get("lexeme"))
            let (n, df) = (Double(total), Double(count))
            let ratio: Double = (n - df + 0.5) / (df + 0.5)
            idf.append(log(ratio + 1))
        }
        return (lexemes, idf, averageLength)
    }

    /// Chunks nearest to `vector` by cosine, through the collection's HNSW index (iterative
    /// scans keep a filtered search from coming back short).
    public func vectorSearch(_ vector: [Float], in collection: String, k: Int, filter: SearchFilter) async throws -> [RankedChunk] {
        let (collectionID, dimensions) = try await collectionRow(collection)
        try VectorMath.check(vector, dimensions: dimensions)
        guard k > 0 else { return [] }
        var statement = Statement()
        let (join, conditions) = try Self.filterSQL(filter, into: &statement)
        // The same expression as the index's, and the collection as a literal (an id from the
        // database, not from the request), so that the planner picks the partial index.
        let distance = "c.embedding::vector(\(dimensions)) <=> \(try statement.bind(Self.vectorText(vector)))::vector(\(dimensions))"
        // Iterative scans may give the nearest slightly out of order: sorted again here.
        statement += """
            SELECT id, score FROM (
              SELECT c.id, 1 - (\(distance)) AS score FROM chunks c\(join)
              WHERE c.collection_id = \(collectionID)\(conditions) ORDER BY \(distance) LIMIT \(try statement.bind(k))
            ) nearest ORDER BY score DESC
            """
        let query = statement.query
        return try await database.transaction(Self.what) { connection in
            // An HNSW scan looks at `ef_search` candidates (40 by default) and filters after:
            // it would give fewer than `k`, or than a filter leaves. Look at `k` at least, and
            // go on scanning until `k` pass the filter (pgvector 0.8).
            try await PostgresDatabase.execute(
                "SELECT set_config('hnsw.ef_search', \(String(min(max(k, 40), 1_000))), true), set_config('hnsw.iterative_scan', 'relaxed_order', true)",
                on: connection, logger: logger)
            return try await PostgresDatabase.rows(query, on: connection, logger: logger).map {
                RankedChunk(id: try $0.get("id"), score: try $0.get("score"))
            }
        }
    }

    public func hits(_ ids: [Int64]) async throws -> [SearchHit] {
        guard !ids.isEmpty else { return [] }
        let rows = try await database.rows(
            """
            SELECT c.id, c.text, c.heading, c.line_start, c.line_end, c.page_start, c.page_end,
              d.id AS document_id, d.path, d.file_id, d.metadata::text AS metadata, k.name AS collection
            FROM chunks c JOIN documents d ON d.id = c.document_id JOIN collections k ON k.id = c.collection_id
            WHERE c.id = ANY(\(ids)::bigint[])
            """, Self.what)
        var byID: [Int64: SearchHit] = [:]
        for row in rows {
            var location = SourceLocation()
            location.lineStart = try row.get("line_start")
            location.lineEnd = try row.get("line_end")
            location.pageStart = try row.get("page_start")
            location.pageEnd = try row.get("page_end")
            let hit = SearchHit(
                chunkID: try row.get("id"), collection: try row.get("collection"), documentID: try row.get("document_id"),
                path: try row.get("path"), fileID: try row.get("file_id"), heading: try row.get("heading"), location: location,
                text: try row.get("text"), metadata: Self.decodeMap(try row.get("metadata")))
            byID[hit.chunkID] = hit
        }
        return ids.compactMap { byID[$0] }
    }

    public func vectors(_ ids: [Int64]) async throws -> [Int64: [Float]] {
        guard !ids.isEmpty else { return [:] }
        var result: [Int64: [Float]] = [:]
        for row in try await database.rows(
            "SELECT id, embedding::text AS embedding FROM chunks WHERE id = ANY(\(ids)::bigint[])", Self.what)
        {
            result[try row.get("id")] = Self.vector(try row.get("embedding"))
        }
        return result
    }

    /// The join and conditions a filter adds to a query over `chunks c`, its values bound in
    /// `statement`.
    static func filterSQL(_ filter: SearchFilter, into statement: inout Statement) throws -> (join: String, conditions: String) {
        guard !filter.isEmpty else { return ("", "") }
        var conditions = ""
        if let prefix = filter.pathPrefix {
            conditions += " AND starts_with(d.path, \(try statement.bind(prefix)))"
        }
        for (key, value) in filter.metadata.sorted(by: { $0.key < $1.key }) {
            conditions += " AND d.metadata ->> \(try statement.bind(key)) = \(try statement.bind(value))"
        }
        return (" JOIN documents d ON d.id = c.document_id", conditions)
    }
}
