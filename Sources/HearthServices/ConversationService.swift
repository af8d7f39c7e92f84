import Foundation
import HearthCore

/// Conversations kept for their owners: created, listed, searched, renamed and deleted here,
/// and filled by the chat service when a request names one. Another's conversation answers
/// 404; an administrator reaches all.
public struct ConversationService: Sendable {
    let store: (any ConversationStore)?
    let identity: IdentityService
    let now: @Sendable () -> Date

    public init(store: (any ConversationStore)?, identity: IdentityService, now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.identity = identity
        self.now = now
    }

    /// A conversation with its messages.
    public struct Detail: Sendable {
        public var conversation: Conversation
        public var messages: [ConversationMessage]
    }

    /// Starts an empty conversation of `principal`'s; without a title, the first question names it.
    /// - Throws: `HearthError.invalidRequest` for a bad title.
    public func create(title: String?, by principal: Principal) async throws -> Conversation {
        if let title { try Conversation.validate(title: title) }
        let conversation = Conversation(id: "conv_" + randomID(), ownerID: principal.ownerID, title: title ?? "", createdAt: now())
        try await requireStore().createConversation(conversation)
        return conversation
    }

    /// `principal`'s conversations, newest first (with `everyone`, an administrator sees
    /// all), only those whose title or messages contain `matching` when it is given.
    /// - Throws: `HearthError.forbidden` for `everyone` asked by a user; `.invalidRequest` for a bad limit.
    public func list(matching: String? = nil, everyone: Bool = false, limit: Int = 100, by principal: Principal) async throws
        -> [Conversation]
    {
        if everyone { try IdentityService.requireAdmin(principal) }
        guard (1...1000).contains(limit) else { throw HearthError.invalidRequest("'limit' must be 1 to 1000", field: "limit") }
        return try await requireStore().conversations(ownerID: principal.ownerID, everyone: everyone, matching: matching, limit: limit)
    }

    /// - Throws: `HearthError.notFound` for an unknown conversation, or another's.
    public func conversation(_ id: String, by principal: Principal) async throws -> Detail {
        let conversation = try await owned(id, by: principal)
        return Detail(conversation: conversation, messages: try await requireStore().messages(in: id))
    }

    /// - Throws: `HearthError.notFound` for an unknown conversation (or another's); `.invalidRequest` for a bad title.
    public func rename(_ id: String, title: String, by principal: Principal) async throws -> Conversation {
        try Conversation.validate(title: title)
        _ = try await owned(id, by: principal)
        guard try await requireStore().renameConversation(id, title: title) else { throw Conversation.notFound(id) }
        return try await owned(id, by: principal)
    }

    /// - Throws: `HearthError.notFound` for an unknown conversation, or another's.
    public func delete(_ id: String, by principal: Principal) async throws {
        _ = try await owned(id, by: principal)
        guard try await requireStore().deleteConversation(id) else { throw Conversation.notFound(id) }
        try await identity.record(principal.name, "conversation.delete", target: id)
    }

    /// The conversation a chat request names; another's answers 404. `new` gives a new one,
    /// kept only with its first answer (a refused or failed request leaves nothing).
    /// - Throws: `HearthError.notFound` for an unknown conversation, or another's.
    public func resolve(_ id: String, by principal: Principal) async throws -> Conversation {
        guard id == "new" else { return try await owned(id, by: principal) }
        _ = try requireStore()
        return Conversation(id: "conv_" + randomID(), ownerID: principal.ownerID, title: "", createdAt: now())
    }

    /// Makes the conversation what a chat request sent (`messages`, the whole conversation
    /// as the model saw it) followed by `reply`: messages it holds beyond what the request
    /// repeated are replaced (an edited or regenerated turn), the rest appended.
    func record(_ messages: [ChatMessage], reply: ChatMessage, model: String, in conversation: Conversation) async throws {
        let store = try requireStore()
        if try await store.conversation(conversation.id) == nil { try await store.createConversation(conversation) }
        let stored = try await store.messages(in: conversation.id)
        let kept = zip(stored, messages).prefix { $0.chat == $1 }.count
        let date = now()
        let new = (messages[kept...] + [reply]).map { ConversationMessage($0, createdAt: date) }
        let title = conversation.title.isEmpty && stored.isEmpty ? Self.title(from: messages) : nil
        try await store.record(new, in: conversation.id, keeping: kept, model: model, title: title, at: date)
    }

    /// A title from the first question: its first line, at most 60 characters.
    static func title(from messages: [ChatMessage]) -> String {
        let question = messages.first { $0.role == .user }?.content ?? ""
        let line = question.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let clean = String(line.unicodeScalars.filter { $0.properties.generalCategory != .control })
            .trimmingCharacters(in: .whitespaces)
        guard !clean.isEmpty else { return "New conversation" }
        return clean.count > 60 ? String(clean.prefix(59)) + "…" : clean
    }

    private func owned(_ id: String, by principal: Principal) async throws -> Conversation {
        guard let conversation = try await requireStore().conversation(id), principal.owns(conversation.ownerID) else {
            throw Conversation.notFound(id)
        }
        return conversation
    }

    private func requireStore() throws -> any ConversationStore {
        guard let store else { throw HearthError(.unavailable, "this server keeps no conversations") }
        return store
    }
}
