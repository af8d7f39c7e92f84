import Foundation
import HearthCore
import PostgresNIO

extension PostgresKnowledgeStore {
    /// Chunks matching words of `query`, scored like BM25: each word's `ts_rank` (its
    /// frequency in the chunk, the text weighing more than the heading, normalised by the
    /// chunk's length) times its inverse document frequency in the collection, summed.
    public func keywordSearch(_ query: String, in collection: String, k: Int, filter: SearchFilter) async throws -> [RankedChunk] {
        let words = KeywordQuery.words(query)
        guard !words.isEmpty, k > 0 else { return [] }
        let collectionID = try await collectionRow(collection).id
        let weighted = try await weights(words, collectionID: collectionID)
        guard !weighted.isEmpty else { return [] }
        var statement = Statement()
        var ranks: [String] = []
        var queries: [String] = []
        for (word, idf) in weighted {
            let query = "plainto_tsquery('english', \(try statement.bind(word)))"
            queries.append(query)
            ranks.append("ts_rank(c.words, \(query), 1) * \(try statement.bind(idf))")
        }
        let (join, conditions) = try Self.filterSQL(filter, into: &statement)
        statement += """
            SELECT c.id, (\(ranks.joined(separator: " + "))) AS score FROM chunks c\(join)
            WHERE c.collection_id = \(try statement.bind(collectionID)) AND c.words @@ (\(queries.joined(separator: " || ")))\(conditions)
            ORDER BY score DESC, c.id LIMIT \(try statement.bind(k))
            """
        return try await database.rows(statement.query, Self.what).map { RankedChunk(id: try $0.get("id"), score: try $0.get("score")) }
    }

    /// The words worth searching with their inverse document frequency in the collection:
    /// words in no chunk, and words too common to weigh (`KeywordQuery.commonWordLimit`),
    /// left out. One query for all words.
    private func weights(_ words: [String], collectionID: Int64) async throws -> [(String, Double)] {
        let total = try await database.rows("SELECT count(*) AS n FROM chunks WHERE collection_id = \(collectionID)", Self.what)[0]
            .get("n", as: Int.self)
        let limit = KeywordQuery.commonWordLimit(total: total)
        let rows = try await database.rows(
            """
            SELECT w.word, (SELECT count(*) FROM (SELECT 1 FROM chunks c WHERE c.collection_id = \(collectionID)
              AND c.words @@ plainto_tsquery('english', w.word) LIMIT \(limit + 1)) AS m) AS n
            FROM unnest(\(words)::text[]) WITH ORDINALITY AS w(word, position) ORDER BY w.position
            """, Self.what)
        return try rows.compactMap { row in
            let count = try row.get("n", as: Int.self)
            guard count > 0, count <= limit else { return nil }
            let n = Double(total)
            let df = Double(count)
            return (try row.get("word", as: String.self), log((n - df + 0.5) / (df + 0.5) + 1))
        }
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
        statement += """
            SELECT c.id, 1 - (\(distance)) AS score FROM chunks c\(join)
            WHERE c.collection_id = \(collectionID)\(conditions) ORDER BY \(distance) LIMIT \(try statement.bind(k))
            """
        return try await database.rows(statement.query, Self.what).map { RankedChunk(id: try $0.get("id"), score: try $0.get("score")) }
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
