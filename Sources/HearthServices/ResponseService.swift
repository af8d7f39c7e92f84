import Foundation
import HearthCore

/// OpenAI's Responses API: generations kept for their owner (`store`), which a later request
/// continues with `previous_response_id`. The route makes the wire objects; this service
/// finds the conversation to continue, runs the generation through the chat service (limits,
/// usage), or through the agent loop when Hearth's skills are offered as server-side tools,
/// and keeps the response before its end reaches the client.
public struct ResponseService: Sendable {
    let chat: ChatService
    let agents: AgentService
    let store: (any ResponseStore)?

    /// A whole answer, for the response object: what it holds, in order.
    public struct Answer: Sendable {
        public enum Item: Sendable, Equatable {
            /// The model's words (a run's steps may each have some).
            case text(String)
            /// A call of the client's function, for the client to answer.
            case call(ToolCall)
            /// A skill that ran on the server, and what it gave.
            case skill(SkillCall)
        }

        public var items: [Item]
        public var reason: FinishReason
        public var usage: Usage

        public init(items: [Item], reason: FinishReason, usage: Usage) {
            self.items = items
            self.reason = reason
            self.usage = usage
        }

        /// One generation's answer: its text, then its calls.
        public init(text: String, toolCalls: [ToolCall], reason: FinishReason, usage: Usage) {
            self.init(items: (text.isEmpty ? [] : [.text(text)]) + toolCalls.map(Item.call), reason: reason, usage: usage)
        }

        /// All the words, one step's after another's.
        public var text: String {
            items.map { if case .text(let text) = $0 { text } else { "" } }.joined()
        }

        /// The calls of the client's functions.
        public var toolCalls: [ToolCall] {
            items.compactMap { if case .call(let call) = $0 { call } else { nil } }
        }
    }

    /// A skill the model called and what it gave.
    public struct SkillCall: Sendable, Equatable {
        public var call: ToolCall
        public var output: SkillOutput

        public init(call: ToolCall, output: SkillOutput) {
            self.call = call
            self.output = output
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
        // Images are read once, here, so that the kept conversation holds their text.
        var request = request
        request.prompt = try await chat.readingImages(request.prompt, by: principal)
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

    /// Runs the agent loop for a response that offers skills (`run.skills`) beside the
    /// client's functions (`run.functions`); with `keeping`, the response (every step's
    /// calls and results in its conversation) is kept once the run ends, before its end
    /// reaches the client.
    /// - Throws: as `AgentService.run`; `unavailable` when keeping is asked of a server that
    ///   keeps nothing.
    public func run(_ run: AgentService.Request, keeping: Keeping?, by principal: Principal) async throws
        -> AsyncThrowingStream<AgentService.Event, any Error>
    {
        if keeping != nil { _ = try requireStore() }
        var read = run
        if case .chat(let messages) = try await chat.readingImages(.chat(run.messages), by: principal) { read.messages = messages }
        let run = read
        let events = try await agents.run(run, by: principal)
        guard let keeping, let store else { return events }
        let model = run.model ?? agents.defaultModel
        return AsyncThrowingStream { continuation in
            let task = Task {
                var transcript = AgentTranscript(messages: run.messages)
                do {
                    for try await event in events {
                        if let answer = transcript.read(event), let rendered = try? keeping.render(answer) {
                            try? await store.putResponse(
                                StoredResponse(
                                    id: keeping.id, ownerID: principal.ownerID, model: model, createdAt: keeping.createdAt,
                                    messages: Array(transcript.messages.dropFirst(keeping.startsWithInstructions ? 1 : 0)),
                                    body: rendered.body, inputItems: rendered.inputItems))
                        }
                        continuation.yield(event)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
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
