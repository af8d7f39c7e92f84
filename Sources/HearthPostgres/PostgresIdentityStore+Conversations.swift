import Foundation
import HearthCore
import PostgresNIO

/// Conversations and their messages (one row per message, in order).
extension PostgresIdentityStore: ConversationStore {
    public func createConversation(_ conversation: Conversation) async throws {
        try await database.execute(
            """
            INSERT INTO conversations (id, owner_id, title, model, created_at, updated_at)
            VALUES (\(conversation.id), \(conversation.ownerID), \(conversation.title), \(conversation.model),
              \(conversation.createdAt.timeIntervalSince1970), \(conversation.updatedAt.timeIntervalSince1970))
            """, Self.what)
    }

    public func conversation(_ id: String) async throws -> Conversation? {
        try await database.rows("\(unescaped: Self.conversationColumns) WHERE c.id = \(id)", Self.what).first.map(Self.conversation)
    }

    public func conversations(ownerID: Int64?, everyone: Bool, matching: String?, limit: Int) async throws -> [Conversation] {
        var statement = Statement(Self.conversationColumns)
        var conditions: [String] = []
        if !everyone { conditions.append("c.owner_id IS NOT DISTINCT FROM \(try statement.bind(ownerID))") }
        if let matching, !matching.isEmpty {
            // ILIKE: case-insensitive, as SQLite's LIKE is.
            let pattern = try statement.bind("%" + Self.escapedForLike(matching) + "%")
            conditions.append(
                """
                (c.title ILIKE \(pattern) ESCAPE '\\' OR EXISTS (SELECT 1 FROM conversation_messages m
                  WHERE m.conversation_id = c.id AND m.content ILIKE \(pattern) ESCAPE '\\'))
                """)
        }
        if !conditions.isEmpty { statement += " WHERE " + conditions.joined(separator: " AND ") }
        statement += " ORDER BY c.updated_at DESC, c.id LIMIT \(try statement.bind(limit))"
        return try await database.rows(statement.query, Self.what).map(Self.conversation)
    }

    public func messages(in id: String) async throws -> [ConversationMessage] {
        try await database.rows(
            """
            SELECT role, content, tool_calls, tool_call_id, name, created_at FROM conversation_messages
            WHERE conversation_id = \(id) ORDER BY ordinal
            """, Self.what
        ).map { row in
            ConversationMessage(
                role: ChatRole(rawValue: try row.get("role")) ?? .user, content: try row.get("content"),
                toolCalls: (try row.get("tool_calls", as: String?.self)).flatMap {
                    try? JSONDecoder().decode([ToolCall].self, from: Data($0.utf8))
                },
                toolCallID: try row.get("tool_call_id"), name: try row.get("name"),
                createdAt: Date(timeIntervalSince1970: try row.get("created_at")))
        }
    }

    public func record(
        _ messages: [ConversationMessage], in id: String, keeping kept: Int, model: String?, title: String?, at date: Date
    ) async throws {
        try await database.transaction(Self.what) { connection in
            // FOR UPDATE: two replicas recording into one conversation take turns.
            guard
                !(try await PostgresDatabase.rows("SELECT 1 FROM conversations WHERE id = \(id) FOR UPDATE", on: connection, logger: logger))
                    .isEmpty
            else { throw Conversation.notFound(id) }
            try await PostgresDatabase.execute(
                "DELETE FROM conversation_messages WHERE conversation_id = \(id) AND ordinal >= \(kept)", on: connection, logger: logger)
            if !messages.isEmpty {
                var statement = Statement(
                    "INSERT INTO conversation_messages (conversation_id, ordinal, role, content, tool_calls, tool_call_id, name, created_at) VALUES"
                )
                for (offset, message) in messages.enumerated() {
                    let calls = try message.toolCalls.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
                    let values = [
                        try statement.bind(id), try statement.bind(kept + offset), try statement.bind(message.role.rawValue),
                        try statement.bind(message.content), try statement.bind(calls), try statement.bind(message.toolCallID),
                        try statement.bind(message.name), try statement.bind(message.createdAt.timeIntervalSince1970),
                    ]
                    statement += (offset == 0 ? " (" : ", (") + values.joined(separator: ", ") + ")"
                }
                try await PostgresDatabase.execute(statement.query, on: connection, logger: logger)
            }
            try await PostgresDatabase.execute(
                """
                UPDATE conversations SET model = coalesce(\(model), model), title = coalesce(\(title), title),
                  updated_at = \(date.timeIntervalSince1970) WHERE id = \(id)
                """, on: connection, logger: logger)
        }
    }

    public func renameConversation(_ id: String, title: String) async throws -> Bool {
        try await database.execute("UPDATE conversations SET title = \(title) WHERE id = \(id) RETURNING 1", Self.what) > 0
    }

    public func deleteConversation(_ id: String) async throws -> Bool {
        try await database.execute("DELETE FROM conversations WHERE id = \(id) RETURNING 1", Self.what) > 0
    }

    private static let conversationColumns = """
        SELECT c.*, (SELECT count(*) FROM conversation_messages m WHERE m.conversation_id = c.id) AS message_count
        FROM conversations c
        """

    private static func conversation(_ row: PostgresRandomAccessRow) throws -> Conversation {
        Conversation(
            id: try row.get("id"), ownerID: try row.get("owner_id"), title: try row.get("title"), model: try row.get("model"),
            createdAt: Date(timeIntervalSince1970: try row.get("created_at")),
            updatedAt: Date(timeIntervalSince1970: try row.get("updated_at")), messageCount: try row.get("message_count"))
    }

    /// `text` with LIKE's wildcards taken literally.
    private static func escapedForLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(
            of: "_", with: "\\_")
    }
}
