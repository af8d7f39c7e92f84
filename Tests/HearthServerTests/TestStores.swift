import Foundation
import HearthSQLite
import HearthServices

/// The embedded stores a test server keeps in `folder`: the knowledge base's database, the
/// identity store over it (users, keys, conversations, responses) and the identity service
/// with its secret.
struct TestStores {
    let knowledge: SQLiteKnowledgeStore
    let identityStore: SQLiteIdentityStore
    let identity: IdentityService

    init(in folder: URL) throws {
        knowledge = try SQLiteKnowledgeStore(
            path: folder.appending(path: "knowledge.sqlite"), indexFolder: folder.appending(path: "vectors"))
        identityStore = SQLiteIdentityStore(knowledge)
        identity = IdentityService(
            store: identityStore, audit: identityStore, secret: try IdentityService.secret(at: folder.appending(path: "server.secret")))
    }
}
