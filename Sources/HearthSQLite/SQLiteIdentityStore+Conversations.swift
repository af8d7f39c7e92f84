import Foundation
import GRDB
import HearthCore

/// Conversations and their messages (one row per message, in order).
extension SQLiteIdentityStore: ConversationStore {
    public func createConversation(_ conversation: Conversation) async throws {
        try await write { db in
            try db.execute(
                sql: "INSERT INTO conversations (id, owner_id, title, model, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    conversation.id, conversation.ownerID, conversation.title, conversation.model,
                    conversation.createdAt.timeIntervalSince1970, conversation.updatedAt.timeIntervalSince1970,
                ])
        }
    }

    public func conversation(_ id: String) async throws -> Conversation? {
        try await read { db in
            try Row.fetchOne(db, sql: "\(Self.conversationColumns) WHERE c.id = ?", arguments: [id]).map(Self.conversation)
        }
    }

    public func conversations(ownerID: Int64?, everyone: Bool, matching: String?, limit: Int) async throws -> [Conversation] {
        try await read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if !everyone {
                conditions.append("c.owner_id IS ?")
                arguments += [ownerID]
            }
            if let matching, !matching.isEmpty {
                let pattern = "%" + Self.escapedForLike(matching) + "%"
                conditions.append(
                    """
                    (c.title LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM conversation_messages m
                      WHERE m.conversation_id = c.id AND m.content LIKE ? ESCAPE '\\'))
                    """)
                arguments += [pattern, pattern]
            }
            let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            arguments += [limit]
            return try Row.fetchAll(
                db, sql: "\(Self.conversationColumns)\(filter) ORDER BY c.updated_at DESC, c.id LIMIT ?", arguments: arguments
            )
            .map(Self.conversation)
        }
    }

    public func messages(in id: String) async throws -> [ConversationMessage] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT role, content, tool_calls, tool_call_id, name, created_at FROM conversation_messages
                    WHERE conversation_id = ? ORDER BY ordinal
                    """,
                arguments: [id]
            ).map { row in
                ConversationMessage(
                    role: ChatRole(rawValue: row["role"]) ?? .user, content: row["content"],
                    toolCalls: (row["tool_calls"] as String?).flatMap { try? JSONDecoder().decode([ToolCall].self, from: Data($0.utf8)) },
                    toolCallID: row["tool_call_id"], name: row["name"], createdAt: Date(timeIntervalSince1970: row["created_at"]))
            }
        }
    }

    public func record(
        _ messages: [ConversationMessage], in id: String, keeping kept: Int, model: String?, title: String?, at date: Date
    ) async throws {
        try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM conversations WHERE id = ?", arguments: [id]) != nil else {
                throw Conversation.notFound(id)
            }
            try db.execute(
                sql: "DELETE FROM conversation_messages WHERE conversation_id = ? AND ordinal >= ?", arguments: [id, kept])
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO conversation_messages (conversation_id, ordinal, role, content, tool_calls, tool_call_id, name, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for (offset, message) in messages.enumerated() {
                let calls = try message.toolCalls.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
                try insert.execute(arguments: [
                    id, kept + offset, message.role.rawValue, message.content, calls, message.toolCallID, message.name,
                    message.createdAt.timeIntervalSince1970,
                ])
            }
            try db.execute(
                sql: "UPDATE conversations SET model = coalesce(?, model), title = coalesce(?, title), updated_at = ? WHERE id = ?",
                arguments: [model, title, date.timeIntervalSince1970, id])
        }
    }

    public func renameConversation(_ id: String, title: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE conversations SET title = ? WHERE id = ?", arguments: [title, id])
            return db.changesCount > 0
        }
    }

    public func deleteConversation(_ id: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM conversations WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    private static let conversationColumns = """
        SELECT c.*, (SELECT count(*) FROM conversation_messages m WHERE m.conversation_id = c.id) AS message_count
        FROM conversations c
        """

    private static func conversation(_ row: Row) -> Conversation {
        Conversation(
            id: row["id"], ownerID: row["owner_id"], title: row["title"], model: row["model"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]), updatedAt: Date(timeIntervalSince1970: row["updated_at"]),
            messageCount: row["message_count"])
    }

    /// `text` with LIKE's wildcards taken literally.
    private static func escapedForLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(
            of: "_", with: "\\_")
    }
}
