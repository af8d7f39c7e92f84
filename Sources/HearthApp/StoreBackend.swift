import Crypto
import Foundation
import HearthCore
import HearthPostgres
import HearthSQLite
import HearthServices
import Logging
import ServiceLifecycle

/// The store a configuration names: the embedded SQLite database in the data folder, or
/// PostgreSQL with pgvector (`HEARTH_DATABASE_URL`), which replicas share.
struct StoreBackend {
    typealias Identity = IdentityStore & UsageStore & AuditStore & ConversationStore & ResponseStore
    let knowledge: any KnowledgeStore
    let identity: any Identity
    /// The key API keys and sessions are hashed with: the data folder's `server.secret`, or,
    /// on PostgreSQL, one kept in the database so that every replica checks keys alike.
    let secret: SymmetricKey
    private let database: PostgresDatabase?

    /// Opens (creating and migrating) the configured store.
    /// - Throws: `HearthError` when the database cannot be opened or reached.
    static func open(_ configuration: Configuration, logger: Logger) async throws -> StoreBackend {
        if let url = configuration.databaseURL {
            let database = try await PostgresDatabase.connect(to: url, logger: logger)
            do {
                let identity = PostgresIdentityStore(database)
                return StoreBackend(
                    knowledge: PostgresKnowledgeStore(database), identity: identity,
                    secret: SymmetricKey(data: try await identity.serverSecret()), database: database)
            } catch {
                database.close()
                throw error
            }
        }
        let store = try SQLiteKnowledgeStore(paths: configuration.paths)
        return StoreBackend(
            knowledge: store, identity: SQLiteIdentityStore(store),
            secret: try IdentityService.secret(at: configuration.paths.serverSecret),
            database: nil)
    }

    /// Ends the database's connections (nothing to do for SQLite).
    func close() { database?.close() }
}

/// Keeps the store's connections until the application shuts down.
struct StoreConnections: Service {
    let stores: StoreBackend

    func run() async throws {
        try? await gracefulShutdown()
        stores.close()
    }
}
