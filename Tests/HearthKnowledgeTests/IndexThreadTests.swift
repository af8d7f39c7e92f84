import Foundation
import HearthCore
import HearthSQLite
import Testing

/// Vector indexes are read and rebuilt off the cooperative pool, one collection at a time.
struct IndexThreadTests {
    let folder = FileManager.default.temporaryDirectory.appending(path: "kb-index-\(UUID().uuidString)")

    func store() throws -> SQLiteKnowledgeStore {
        try SQLiteKnowledgeStore(path: folder.appending(path: "knowledge.sqlite"), indexFolder: folder.appending(path: "vectors"))
    }

    /// A fixed vector per seed, spread over the sphere enough for a real graph.
    static func vector(_ seed: Int, dimensions: Int) -> [Float] {
        VectorMath.normalized((0..<dimensions).map { Float(sin(Double(seed * dimensions + $0) * 0.618)) })
    }

    func fill(_ store: SQLiteKnowledgeStore, _ name: String, chunks: Int) async throws {
        _ = try await store.createCollection(KnowledgeCollection(name: name, embeddingModel: "test", dimensions: 32))
        for batch in stride(from: 0, to: chunks, by: 500) {
            let count = min(500, chunks - batch)
            _ = try await store.putDocument(
                DocumentDraft(
                    path: "\(name)-\(batch).txt", contentHash: "\(batch)", bytes: 1,
                    chunks: (0..<count).map { ChunkDraft(text: "chunk \(batch + $0)") },
                    vectors: (0..<count).map { Self.vector(batch + $0, dimensions: 32) }),
                in: name)
        }
    }

    @Test func aSmallCollectionIsSearchedWhileTwoLargeOnesRebuild() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let writer = try store()
        for name in ["large-a", "large-b"] { try await fill(writer, name, chunks: 1_500) }
        try await fill(writer, "small", chunks: 10)
        // A fresh store on the same database, without saved index files: every first search rebuilds.
        let reader = try store()
        let query = Self.vector(7, dimensions: 32)
        let finished = try await withThrowingTaskGroup(of: String.self) { group in
            for name in ["large-a", "large-b"] {
                group.addTask {
                    _ = try await reader.vectorSearch(query, in: name, k: 3, filter: SearchFilter())
                    return name
                }
            }
            try await Task.sleep(for: .milliseconds(50))  // both rebuilds are under way
            group.addTask {
                _ = try await reader.vectorSearch(query, in: "small", k: 3, filter: SearchFilter())
                return "small"
            }
            var order: [String] = []
            for try await name in group { order.append(name) }
            return order
        }
        // On the cooperative pool (two threads here) the two rebuilds would hold every thread
        // and the small search would wait for one of them.
        #expect(finished.first == "small", "\(finished)")
    }
}
