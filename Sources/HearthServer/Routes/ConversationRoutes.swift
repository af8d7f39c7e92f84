import Foundation
import HearthCore
import HearthServices
import HearthWire
import Hummingbird

/// `/hearth/conversations`: each user's conversations (chats name one with `conversation`
/// to be kept in it).
struct ConversationRoutes: Sendable {
    let conversations: ConversationService
    let maxBodyBytes: Int

    func add(to router: Router<HearthRequestContext>) {
        router.post("/hearth/conversations") { request, context in
            // The body is optional: without one, the first question names the conversation.
            let body = try await request.body.collect(upTo: maxBodyBytes)
            let wire =
                body.readableBytes == 0
                ? ConversationWire.Change(title: nil) : try WireDecoder.decode(ConversationWire.Change.self, from: Data(buffer: body))
            let conversation = try await conversations.create(title: wire.title, by: context.principal)
            return try json(ConversationWire.Conversation(conversation), status: .created)
        }
        router.get("/hearth/conversations") { request, context in
            let query = request.uri.queryParameters
            let limit = try query.get("limit").map { text in
                guard let limit = Int(String(text)) else { throw HearthError.invalidRequest("'limit' must be a number", field: "limit") }
                return limit
            }
            let found = try await conversations.list(
                matching: query.get("q").map { String($0) }, everyone: query.get("all") == "true", limit: limit ?? 100,
                by: context.principal)
            return try json(ConversationWire.List(found))
        }
        router.get("/hearth/conversations/{id}") { _, context in
            let detail = try await conversations.conversation(try context.parameters.segment("id"), by: context.principal)
            return try json(ConversationWire.Detail(detail.conversation, messages: detail.messages))
        }
        router.patch("/hearth/conversations/{id}") { request, context in
            let wire = try await request.decode(ConversationWire.Change.self, upTo: maxBodyBytes)
            guard let title = wire.title else { throw HearthError.invalidRequest("'title' is required", field: "title") }
            let conversation = try await conversations.rename(try context.parameters.segment("id"), title: title, by: context.principal)
            return try json(ConversationWire.Conversation(conversation))
        }
        router.delete("/hearth/conversations/{id}") { _, context in
            let id = try context.parameters.segment("id")
            try await conversations.delete(id, by: context.principal)
            return try json(ConversationWire.Deleted(id: id))
        }
    }
}
