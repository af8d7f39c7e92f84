import Foundation
import GRDB
import HearthCore
import HearthVectors

extension SQLiteKnowledgeStore {
    /// Filters narrower than this many chunks are searched exactly, not through the graph.
    static let exactFilterLimit = 20_000

    public func keywordSearch(_ query: String, in collection: String, k: Int, filter: SearchFilter) async throws -> [RankedChunk] {
        let words = KeywordQuery.words(query)
        guard !words.isEmpty, k > 0 else { return [] }
        return try await read { db in
            let id = try Self.collectionID(db, collection)
            guard let match = try Self.ftsQuery(words, db) else { return [] }
            // With one collection and no filter, the chunks table need not be joined.
            if filter.isEmpty, try Int.fetchOne(db, sql: "SELECT count(*) FROM collections") == 1 {
                return try Row.fetchAll(
                    db,
                    sql: "SELECT rowid, bm25(chunks_fts, 1.0, 0.5) AS rank FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?",
                    arguments: [match, k]
                ).map(Self.keywordHit)
            }
            var sql = """
                SELECT c.id, bm25(chunks_fts, 1.0, 0.5) AS rank FROM chunks_fts
                JOIN chunks c ON c.id = chunks_fts.rowid
                """
            var arguments: StatementArguments = []
            let (join, conditions, filterArguments) = Self.filterSQL(filter)
            sql += join + " WHERE chunks_fts MATCH ? AND c.collection_id = ?" + conditions + " ORDER BY rank LIMIT ?"
            arguments += [match, id]
            arguments += filterArguments
            arguments += [k]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.keywordHit)
        }
    }

    /// A row of (chunk id, bm25 rank) as a hit scored higher-is-better.
    private static func keywordHit(_ row: Row) -> RankedChunk {
        RankedChunk(id: row[0], score: -(row[1] as Double))
    }

    public func vectorSearch(_ vector: [Float], in collection: String, k: Int, filter: SearchFilter) async throws -> [RankedChunk] {
        let (collectionID, dimensions): (Int64, Int) = try await read { db in try Self.collectionRow(db, collection) }
        try VectorMath.check(vector, dimensions: dimensions)
        let index = try await index(collectionID)
        if filter.isEmpty { return index.search(vector, k: k, allow: nil) }
        let allowed: [Int64] = try await read { db in
            let (join, conditions, arguments) = Self.filterSQL(filter)
            return try Int64.fetchAll(
                db, sql: "SELECT c.id FROM chunks c\(join) WHERE c.collection_id = ?\(conditions)", arguments: [collectionID] + arguments)
        }
        if allowed.count <= Self.exactFilterLimit { return index.search(vector, k: k, among: allowed) }
        let set = Set(allowed)
        return index.search(vector, k: k, allow: { set.contains($0) })
    }

    public func hits(_ ids: [Int64]) async throws -> [SearchHit] {
        guard !ids.isEmpty else { return [] }
        return try await read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT c.id, c.text, c.heading, c.line_start, c.line_end, c.page_start, c.page_end,
                      d.id AS document_id, d.path, d.file_id, d.metadata, k.name AS collection
                    FROM chunks c JOIN documents d ON d.id = c.document_id JOIN collections k ON k.id = c.collection_id
                    WHERE c.id IN (\(databaseQuestionMarks(count: ids.count)))
                    """, arguments: StatementArguments(ids))
            return Self.orderedHits(rows, ids)
        }
    }

    private static func orderedHits(_ rows: [Row], _ ids: [Int64]) -> [SearchHit] {
        var byID: [Int64: SearchHit] = [:]
        for row in rows {
            var location = SourceLocation()
            location.lineStart = row["line_start"]
            location.lineEnd = row["line_end"]
            location.pageStart = row["page_start"]
            location.pageEnd = row["page_end"]
            let hit = SearchHit(
                chunkID: row["id"], collection: row["collection"], documentID: row["document_id"], path: row["path"],
                fileID: row["file_id"], heading: row["heading"], location: location, text: row["text"],
                metadata: decodeMetadata(row["metadata"]))
            byID[hit.chunkID] = hit
        }
        return ids.compactMap { byID[$0] }
    }

    public func vectors(_ ids: [Int64]) async throws -> [Int64: [Float]] {
        guard !ids.isEmpty else { return [:] }
        return try await read { db in
            var result: [Int64: [Float]] = [:]
            let rows = try Row.fetchAll(
                db, sql: "SELECT id, vector FROM chunks WHERE id IN (\(databaseQuestionMarks(count: ids.count)))",
                arguments: StatementArguments(ids))
            for row in rows { result[row["id"]] = Self.vector(row["vector"]) }
            return result
        }
    }

    /// The joins, conditions and arguments a filter adds to a query over `chunks c`.
    static func filterSQL(_ filter: SearchFilter) -> (String, String, StatementArguments) {
        guard !filter.isEmpty else { return ("", "", []) }
        var conditions = ""
        var arguments: StatementArguments = []
        if let prefix = filter.pathPrefix {
            conditions += " AND substr(d.path, 1, ?) = ?"
            arguments += [prefix.utf8.count, prefix]
        }
        for (key, value) in filter.metadata.sorted(by: { $0.key < $1.key }) {
            conditions += " AND json_extract(d.metadata, ?) = ?"
            arguments += ["$.\"\(key.replacingOccurrences(of: "\"", with: ""))\"", value]
        }
        return (" JOIN documents d ON d.id = c.document_id", conditions, arguments)
    }

    /// The words as an FTS5 query: each quoted, any may match. Words too common to weigh
    /// (`KeywordQuery.commonWordLimit`) are left out. Nil when no word is left; the vector
    /// search alone answers then.
    static func ftsQuery(_ words: [String], _ db: Database) throws -> String? {
        let total = try Int.fetchOne(db, sql: "SELECT max(id) FROM chunks") ?? 0
        let limit = KeywordQuery.commonWordLimit(total: total)
        var kept: [String] = []
        for word in words {
            let quoted = "\"\(word)\""
            let count =
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM (SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT ?)",
                    arguments: [quoted, limit + 1])
                ?? 0
            if count > 0, count <= limit { kept.append(quoted) }
        }
        return kept.isEmpty ? nil : kept.joined(separator: " OR ")
    }

    // MARK: - Vector indexes

    func indexFile(_ collectionID: Int64) -> URL {
        indexFolder.appending(path: "\(collectionID).hnsw")
    }

    /// The collection's index, caught up with the database on a thread of its own: reading,
    /// rebuilding or catching up a large index blocks neither the cooperative pool nor the
    /// searches of other collections (each collection has its own lock).
    @discardableResult
    func index(_ collectionID: Int64) async throws -> HNSWIndex {
        try await onOwnThread("hearth-index") { try self.syncIndex(collectionID) }
    }

    /// The collection's index, loaded or rebuilt and caught up with the database. Blocking.
    ///
    /// When another process (a `hearth ingest` beside a running server) has saved a newer
    /// index file, that file is read instead of inserting all its new vectors again here.
    private func syncIndex(_ collectionID: Int64) throws -> HNSWIndex {
        let slot = indexes.withLock { slots in
            if let slot = slots[collectionID] { return slot }
            let slot = IndexSlot()
            slots[collectionID] = slot
            return slot
        }
        return try slot.lock.withLock {
            var current: HNSWIndex
            var built = false
            let file = indexFile(collectionID)
            let fileDate = Self.modificationDate(file)
            if let index = slot.index {
                current = index
                if let fileDate, fileDate != slot.fileDate {
                    slot.fileDate = fileDate
                    if let saved = Self.readIndex(file, dimensions: index.dimensions),
                        saved.watermark.lastInsert > index.watermark.lastInsert
                    {
                        current = saved
                        slot.dirty = false
                    }
                }
            } else {
                let dimensions = try pool.read { db in
                    try Int.fetchOne(db, sql: "SELECT dimensions FROM collections WHERE id = ?", arguments: [collectionID])
                }
                guard let dimensions else { throw HearthError(.notFound, "the collection was deleted") }
                slot.fileDate = fileDate
                if let saved = Self.readIndex(file, dimensions: dimensions) {
                    current = saved
                } else {
                    current = HNSWIndex(dimensions: dimensions, parameters: indexParameters)
                    built = true
                }
            }
            let watermark = current.watermark
            let (added, deleted) = try pool.read { db in
                let added = try Row.fetchAll(
                    db, sql: "SELECT id, vector FROM chunks WHERE collection_id = ? AND id > ? ORDER BY id",
                    arguments: [collectionID, watermark.lastInsert])
                let deleted = try Row.fetchAll(
                    db, sql: "SELECT seq, chunk_id FROM chunk_deletions WHERE collection_id = ? AND seq > ? ORDER BY seq",
                    arguments: [collectionID, watermark.lastDelete])
                return (added, deleted)
            }
            for row in deleted { current.remove(row["chunk_id"]) }
            try current.insert(added.map { (id: $0["id"], vector: Self.vector($0["vector"])) })
            current.watermark = HNSWIndex.Watermark(
                lastInsert: added.last?["id"] ?? watermark.lastInsert, lastDelete: deleted.last?["seq"] ?? watermark.lastDelete)
            slot.index = current
            slot.dirty = slot.dirty || !added.isEmpty || !deleted.isEmpty || built
            return current
        }
    }

    /// Writes every changed index to its file, so that the next start loads instead of
    /// rebuilding. Called when an ingestion ends and at shutdown.
    /// - Throws: file-system errors.
    public func flush() async throws {
        try await onOwnThread("hearth-index") { try self.saveIndexes() }
    }

    /// As `flush()`, synchronously.
    public func saveIndexes() throws {
        let slots = indexes.withLock { $0 }
        for (collectionID, slot) in slots {
            try slot.lock.withLock {
                guard slot.dirty, let index = slot.index else { return }
                let file = indexFile(collectionID)
                try index.write(to: file)
                slot.dirty = false
                slot.fileDate = Self.modificationDate(file)
            }
        }
    }

    /// A saved index worth using: readable, of these dimensions, not mostly tombstones.
    static func readIndex(_ file: URL, dimensions: Int) -> HNSWIndex? {
        guard let saved = try? HNSWIndex.read(from: file), saved.dimensions == dimensions,
            saved.tombstones <= max(1000, saved.count)
        else { return nil }
        return saved
    }

    static func modificationDate(_ file: URL) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: file.path))?[.modificationDate] as? Date
    }
}

/// One collection's index and the lock that serialises its catching up.
final class IndexSlot: @unchecked Sendable {
    let lock = NSLock()
    var index: HNSWIndex?
    var dirty = false
    /// The index file's modification date when this process last read or wrote it; another
    /// date means another process has saved the index since.
    var fileDate: Date?
}
