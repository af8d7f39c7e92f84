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
}
