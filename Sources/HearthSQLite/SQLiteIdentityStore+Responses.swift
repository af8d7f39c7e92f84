import Foundation
import GRDB
import HearthCore

extension SQLiteIdentityStore: ResponseStore {
    public func putResponse(_ response: StoredResponse) async throws {
        let messages = String(decoding: try JSONEncoder().encode(response.messages), as: UTF8.self)
        try await write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO responses (id, owner_id, model, created_at, messages, body, input_items)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    response.id, response.ownerID, response.model, response.createdAt.timeIntervalSince1970, messages, response.body,
                    response.inputItems,
                ])
        }
    }

    public func response(_ id: String) async throws -> StoredResponse? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM responses WHERE id = ?", arguments: [id]) else { return nil }
            let messages = try JSONDecoder().decode([ChatMessage].self, from: Data((row["messages"] as String).utf8))
            return StoredResponse(
                id: row["id"], ownerID: row["owner_id"], model: row["model"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
                messages: messages, body: row["body"], inputItems: row["input_items"])
        }
    }

    public func deleteResponse(_ id: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM responses WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }
}
