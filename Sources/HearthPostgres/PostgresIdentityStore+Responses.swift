import Foundation
import HearthCore
import PostgresNIO

extension PostgresIdentityStore: ResponseStore {
    public func putResponse(_ response: StoredResponse) async throws {
        let messages = String(decoding: try JSONEncoder().encode(response.messages), as: UTF8.self)
        try await database.execute(
            """
            INSERT INTO responses (id, owner_id, model, created_at, messages, body, input_items)
            VALUES (\(response.id), \(response.ownerID), \(response.model), \(response.createdAt.timeIntervalSince1970), \(messages),
              \(response.body), \(response.inputItems))
            ON CONFLICT (id) DO UPDATE SET owner_id = excluded.owner_id, model = excluded.model, created_at = excluded.created_at,
              messages = excluded.messages, body = excluded.body, input_items = excluded.input_items
            """, Self.what)
    }

    public func response(_ id: String) async throws -> StoredResponse? {
        guard let row = try await database.rows("SELECT * FROM responses WHERE id = \(id)", Self.what).first else { return nil }
        let messages = try JSONDecoder().decode([ChatMessage].self, from: Data(try row.get("messages", as: String.self).utf8))
        return StoredResponse(
            id: try row.get("id"), ownerID: try row.get("owner_id"), model: try row.get("model"),
            createdAt: Date(timeIntervalSince1970: try row.get("created_at")), messages: messages, body: try row.get("body"),
            inputItems: try row.get("input_items"))
    }

    public func deleteResponse(_ id: String) async throws -> Bool {
        try await database.execute("DELETE FROM responses WHERE id = \(id) RETURNING 1", Self.what) > 0
    }
}
