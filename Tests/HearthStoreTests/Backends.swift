import Foundation
import HearthCore
import HearthPostgres
import HearthSQLite
import HearthTesting
import Testing

/// The store backends every test of this target runs on: the embedded SQLite store and
/// PostgreSQL with pgvector (a real server the tests start, scripts/setup-postgres.sh).
enum Backend: String, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    /// Fresh, empty stores of this backend; `close` them when done.
    func open() async throws -> Stores {
        switch self {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appending(path: "hearth-store-\(UUID().uuidString)")
            let knowledge = try SQLiteKnowledgeStore(
                path: folder.appending(path: "knowledge.sqlite"), indexFolder: folder.appending(path: "vectors"))
            return Stores(knowledge: knowledge, identity: SQLiteIdentityStore(knowledge)) {
                try? FileManager.default.removeItem(at: folder)
            }
        case .postgres:
            guard await TestPostgres.isInstalled else {
                throw HearthError(.unavailable, "PostgreSQL is not installed: run scripts/setup-postgres.sh (make test does)")
            }
            let database = try await PostgresDatabase.connect(to: try await TestPostgres.newDatabase())
            return Stores(knowledge: PostgresKnowledgeStore(database), identity: PostgresIdentityStore(database)) { database.close() }
        }
    }
}

/// The store protocols of one backend.
struct Stores {
    typealias Identity = IdentityStore & UsageStore & AuditStore & ConversationStore & ResponseStore
    let knowledge: any KnowledgeStore
    let identity: any Identity
    let close: () -> Void

    init(knowledge: any KnowledgeStore, identity: any Identity, close: @escaping () -> Void) {
        self.knowledge = knowledge
        self.identity = identity
        self.close = close
    }
}

/// Runs `body` on fresh stores of `backend` and closes them after.
func withStores(_ backend: Backend, _ body: (Stores) async throws -> Void) async throws {
    let stores = try await backend.open()
    defer { stores.close() }
    do {
        try await body(stores)
    } catch let error as HearthError {
        // The detail (the database's own message) says why; clients never see it.
        Issue.record("\(error): \(error.debugDescription)")
    }
}

/// Expects `body` to throw a `HearthError` with `code`.
func expectError(_ code: HearthError.Code, _ body: () async throws -> Void, sourceLocation: Testing.SourceLocation = #_sourceLocation) async
{
    do {
        try await body()
        Issue.record("expected \(code), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as HearthError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
}
