import Foundation
import HearthCore
import HearthPostgres
import HearthTesting
import Testing

/// What only the PostgreSQL backend has: replicas sharing one database.
@Suite struct PostgresDatabaseTests {
    @Test func replicasStartingTogetherMigrateOnceAndShareTheServerSecret() async throws {
        let url = try await TestPostgres.newDatabase()
        let databases = try await withThrowingTaskGroup(of: PostgresDatabase.self) { group in
            for _ in 0..<3 { group.addTask { try await PostgresDatabase.connect(to: url) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        defer { databases.forEach { $0.close() } }
        let secrets = try await withThrowingTaskGroup(of: Data.self) { group in
            for database in databases { group.addTask { try await PostgresIdentityStore(database).serverSecret() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(secrets.count == 3 && Set(secrets).count == 1)
        #expect(secrets[0].count == 32 && secrets[0] != Data(count: 32))
        // What one replica writes, another reads.
        let user = try await PostgresIdentityStore(databases[0]).createUser(User(name: "ada", role: .admin))
        #expect(try await PostgresIdentityStore(databases[1]).user(id: user.id)?.name == "ada")
    }

    @Test func aBadURLOrAMissingServerIsAClearErrorWithoutThePassword() async throws {
        await expectError(.invalidRequest) { _ = try await PostgresDatabase.connect(to: "mysql://db.example/hearth") }
        let port = try FreePort.find()
        do {
            _ = try await PostgresDatabase.connect(
                to: "postgres://hearth:sk-very-secret@127.0.0.1:\(port)/hearth?sslmode=disable", timeout: .seconds(2))
            Issue.record("connected to a closed port")
        } catch let error as HearthError {
            #expect(error.code == .unavailable)
            #expect(!"\(error) \(error.debugDescription)".contains("sk-very-secret"))
            #expect(error.debugDescription.contains("127.0.0.1:\(port)"))
        }
    }

    @Test func theVectorIndexGivesAllTheNearestAskedForFilteredOrNot() async throws {
        let url = try await TestPostgres.newDatabase()
        let name = String(try #require(URLComponents(string: url)?.path.dropFirst()))
        // As on a large collection, where the planner takes the HNSW index (here it would scan
        // and sort, which is exact).
        _ = try TestPostgres.value("ALTER DATABASE \(name) SET enable_seqscan = off", in: url)
        _ = try TestPostgres.value("ALTER DATABASE \(name) SET enable_bitmapscan = off", in: url)
        _ = try TestPostgres.value("ALTER DATABASE \(name) SET enable_sort = off", in: url)
        let database = try await PostgresDatabase.connect(to: url)
        defer { database.close() }
        let store = PostgresKnowledgeStore(database)
        _ = try await store.createCollection(KnowledgeCollection(name: "big", embeddingModel: "test", dimensions: 8))
        for folder in 0..<10 {
            let chunks = (0..<50).map { ChunkDraft(text: "item \(folder) \($0)", headings: [], location: .init(lines: 1...1)) }
            let vectors = (0..<50).map { i in (0..<8).map { Float(sin(Double(folder * 50 + i) * Double($0 + 1))) } }
            _ = try await store.putDocument(
                DocumentDraft(
                    path: "d\(folder)/doc.md", contentHash: "h\(folder)", bytes: 1, metadata: [:], fileID: nil, chunks: chunks,
                    vectors: vectors), in: "big")
        }
        let query: [Float] = (0..<8).map { Float(cos(Double($0))) }
        _ = try TestPostgres.value("ANALYZE chunks", in: url)
        // More than pgvector's HNSW search looks at by default (ef_search 40).
        let many = try await store.vectorSearch(query, in: "big", k: 120, filter: SearchFilter())
        #expect(many.count == 120)
        #expect(zip(many, many.dropFirst()).allSatisfy { $0.score >= $1.score })
        let filtered = try await store.vectorSearch(query, in: "big", k: 30, filter: SearchFilter(pathPrefix: "d7/"))
        #expect(filtered.count == 30)
        #expect(try await store.hits(filtered.map(\.id)).allSatisfy { $0.path == "d7/doc.md" })
        #expect(zip(filtered, filtered.dropFirst()).allSatisfy { $0.score >= $1.score })
    }
}
