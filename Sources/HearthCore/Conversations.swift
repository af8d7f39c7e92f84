import Foundation

/// A chat kept by the server for its owner: the messages of each turn, as the chat service
/// recorded them.
public struct Conversation: Sendable, Equatable, Codable {
    /// `conv_…`.
    public var id: String
    /// Its user; nil: the administrators' (an operator key, an open server).
    public var ownerID: Int64?
    public var title: String
    /// The model of its last answer.
    public var model: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// How many messages it holds.
    public var messageCount: Int

    public init(
        id: String, ownerID: Int64?, title: String, model: String? = nil, createdAt: Date = Date(), updatedAt: Date? = nil,
        messageCount: Int = 0
    ) {
        self.id = id
        self.ownerID = ownerID
        self.title = title
        self.model = model
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.messageCount = messageCount
    }

    /// Checks a title: 1–200 characters, no control characters.
    /// - Throws: `HearthError.invalidRequest` naming the field.
    public static func validate(title: String) throws {
        guard (1...200).contains(title.count), !title.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw HearthError.invalidRequest("a title is 1 to 200 characters without control characters", field: "title")
        }
    }

    public static func notFound(_ id: String) -> HearthError {
        HearthError(.notFound, "conversation '\(id.prefix(80))' not found", field: "conversation")
    }
}

/// One message of a conversation.
public struct ConversationMessage: Sendable, Equatable, Codable {
    public var role: ChatRole
    public var content: String
    /// The calls an assistant turn made.
    public var toolCalls: [ToolCall]?
    /// The call a `tool` turn answers, and the tool's name.
    public var toolCallID: String?
    public var name: String?
    public var createdAt: Date

    public init(
        role: ChatRole, content: String, toolCalls: [ToolCall]? = nil, toolCallID: String? = nil, name: String? = nil,
        createdAt: Date = Date()
    ) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.name = name
        self.createdAt = createdAt
    }

    public init(_ message: ChatMessage, createdAt: Date) {
        self.init(
            role: message.role, content: message.content, toolCalls: message.toolCalls, toolCallID: message.toolCallID,
            name: message.name, createdAt: createdAt)
    }

    public var chat: ChatMessage {
        ChatMessage(role: role, content: content, toolCalls: toolCalls, toolCallID: toolCallID, name: name)
    }
}

/// Where conversations are kept (SQLite by default).
public protocol ConversationStore: Sendable {
    func createConversation(_ conversation: Conversation) async throws
    func conversation(_ id: String) async throws -> Conversation?
    /// Conversations of `ownerID` (all when `everyone`), newest first; with `matching`, only
    /// those whose title or messages contain it (case-insensitive).
    func conversations(ownerID: Int64?, everyone: Bool, matching: String?, limit: Int) async throws -> [Conversation]
    /// The conversation's messages, oldest first.
    func messages(in id: String) async throws -> [ConversationMessage]
    /// Keeps the first `kept` messages, appends `messages` after them, and sets the model,
    /// the update time and (when given) the title, in one transaction.
    func record(_ messages: [ConversationMessage], in id: String, keeping kept: Int, model: String?, title: String?, at date: Date)
        async throws
    /// - Returns: whether it existed.
    func renameConversation(_ id: String, title: String) async throws -> Bool
    /// - Returns: whether it existed.
    func deleteConversation(_ id: String) async throws -> Bool
}
