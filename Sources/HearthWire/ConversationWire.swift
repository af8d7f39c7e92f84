import Foundation
import HearthCore

/// Wire shapes of `/hearth/conversations`.
public enum ConversationWire {
    /// A conversation without its messages.
    public struct Conversation: Codable, Sendable {
        public var id: String
        public var title: String
        public var model: String?
        public var messageCount: Int
        public var createdAt: Int
        public var updatedAt: Int

        enum CodingKeys: String, CodingKey {
            case id, title, model
            case messageCount = "message_count", createdAt = "created_at", updatedAt = "updated_at"
        }

        public init(_ conversation: HearthCore.Conversation) {
            id = conversation.id
            title = conversation.title
            model = conversation.model
            messageCount = conversation.messageCount
            createdAt = Int(conversation.createdAt.timeIntervalSince1970)
            updatedAt = Int(conversation.updatedAt.timeIntervalSince1970)
        }
    }

    public struct List: Codable, Sendable {
        public var conversations: [Conversation]
        public init(_ conversations: [HearthCore.Conversation]) { self.conversations = conversations.map(Conversation.init) }
    }

    /// A conversation with its messages, oldest first.
    public struct Detail: Codable, Sendable {
        public struct Message: Codable, Sendable {
            public var role: String
            public var content: String
            /// An assistant turn's calls, in OpenAI's shape.
            public var toolCalls: [OpenAI.ToolCallValue]?
            /// The call a `tool` turn answers, and the tool's name.
            public var toolCallID: String?
            public var name: String?
            public var createdAt: Int
            enum CodingKeys: String, CodingKey {
                case role, content, name
                case toolCalls = "tool_calls", toolCallID = "tool_call_id", createdAt = "created_at"
            }
        }

        public var conversation: Conversation
        public var messages: [Message]

        public init(_ conversation: HearthCore.Conversation, messages: [ConversationMessage]) {
            self.conversation = Conversation(conversation)
            self.messages = messages.map {
                Message(
                    role: $0.role.rawValue, content: $0.content, toolCalls: $0.toolCalls?.map(OpenAI.ToolCallValue.init),
                    toolCallID: $0.toolCallID, name: $0.name, createdAt: Int($0.createdAt.timeIntervalSince1970))
            }
        }
    }

    /// `POST /hearth/conversations` (title optional: the first question names it) and
    /// `PATCH /hearth/conversations/{id}` (title required).
    public struct Change: Codable, Sendable {
        public var title: String?
        public init(title: String?) { self.title = title }
    }

    public struct Deleted: Codable, Sendable {
        public var id: String
        public var deleted: Bool
        public init(id: String) {
            self.id = id
            deleted = true
        }
    }

    /// The response header that names the conversation a chat was kept in.
    public static let header = "Hearth-Conversation"
}
