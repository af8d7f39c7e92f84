import Foundation
import HearthCore

/// OpenAI's Responses API: generations kept for their owner (`store`), which a later request
/// continues with `previous_response_id`. The route makes the wire objects; this service
/// finds the conversation to continue, runs the generation through the chat service (limits,
/// usage), and keeps the response before its end reaches the client.
public struct ResponseService: Sendable {
    let chat: ChatService
    let store: (any ResponseStore)?

    /// A whole answer, for the response object.
    public struct Answer: Sendable {
        public var text: String
        public var toolCalls: [ToolCall]
        public var reason: FinishReason
        public var usage: Usage

        public init(text: String, toolCalls: [ToolCall], reason: FinishReason, usage: Usage) {
            self.text = text
            self.toolCalls = toolCalls
            self.reason = reason
            self.usage = usage
        }
    }

    /// How to keep a response: its id, and its body and input items made from the answer.
    public struct Keeping: Sendable {
        public var id: String
        public var createdAt: Date
        /// Whether the first message is the request's `instructions`, which a continuation
        /// does not carry (as OpenAI's API does not).
        public var startsWithInstructions: Bool
        public var render: @Sendable (Answer) throws -> (body: String, inputItems: String)

        public init(
            id: String, createdAt: Date, startsWithInstructions: Bool,
            render: @escaping @Sendable (Answer) throws -> (body: String, inputItems: String)
        ) {
            self.id = id
            self.createdAt = createdAt
            self.startsWithInstructions = startsWithInstructions
            self.render = render
        }
    }

    /// The conversation a response continues: its messages and its answer.
    /// - Throws: `HearthError.notFound` for an unknown response, or another's.
    public func history(_ previousID: String, by principal: Principal) async throws -> [ChatMessage] {
        try await owned(previousID, by: principal).messages
    }

    /// Starts the generation; with `keeping`, the response is kept once it ends normally
    /// (before its last event reaches the client).
    /// - Throws: as `ChatService.generate`; `unavailable` when keeping is asked of a server
    ///   that keeps nothing.
    public func generate(_ request: GenerationRequest, keeping: Keeping?, by principal: Principal) async throws
        -> AsyncThrowingStream<TokenEvent, any Error>
    {
        if keeping != nil { _ = try requireStore() }
        let events = try await chat.generate(request, by: principal)
        guard let keeping, let store, case .chat(let messages) = request.prompt else { return events }
        let model = request.model
        return ChatService.watched(events) { outcome in
            guard let usage = outcome.usage, let reason = outcome.reason else { return }
            let answer = Answer(text: outcome.text, toolCalls: outcome.toolCalls, reason: reason, usage: usage)
            guard let rendered = try? keeping.render(answer) else { return }
            let reply = ChatMessage(role: .assistant, content: answer.text, toolCalls: answer.toolCalls.isEmpty ? nil : answer.toolCalls)
            try? await store.putResponse(
                StoredResponse(
                    id: keeping.id, ownerID: principal.ownerID, model: model, createdAt: keeping.createdAt,
                    messages: Array(messages.dropFirst(keeping.startsWithInstructions ? 1 : 0)) + [reply],
                    body: rendered.body, inputItems: rendered.inputItems))
        }
    }

    /// A kept response.
    /// - Throws: `HearthError.notFound` for an unknown response, or another's.
    public func get(_ id: String, by principal: Principal) async throws -> StoredResponse {
        try await owned(id, by: principal)
    }

    /// - Throws: `HearthError.notFound` for an unknown response, or another's.
    public func delete(_ id: String, by principal: Principal) async throws {
        _ = try await owned(id, by: principal)
        _ = try await requireStore().deleteResponse(id)
    }

    private func owned(_ id: String, by principal: Principal) async throws -> StoredResponse {
        guard let response = try await requireStore().response(id), principal.owns(response.ownerID) else {
            throw StoredResponse.notFound(id)
        }
        return response
    }

    private func requireStore() throws -> any ResponseStore {
        guard let store else { throw HearthError(.unavailable, "this server keeps no responses (store: false works)", field: "store") }
        return store
    }
}
