import Foundation
import HTTPTypes
import HearthCore
import HearthModels
import HearthServices
import HearthWire
import Hummingbird
import NIOCore

/// `/v1/*`: OpenAI's API, translated into the chat service and back.
struct OpenAIRoutes: Sendable {
    let chat: ChatService
    let conversations: ConversationService
    let metrics: Metrics
    let maxBodyBytes: Int

    func add(to router: Router<HearthRequestContext>) {
        router.post("/v1/chat/completions") { request, context in try await chatCompletions(request, context) }
        router.post("/v1/completions") { request, context in try await completions(request, context) }
        router.post("/v1/embeddings") { request, context in try await embeddings(request, context) }
        router.get("/v1/models") { _, context in try await json(OpenAI.ModelList(chat.models(by: context.principal))) }
        router.get("/v1/models/{id}") { _, context in
            let id = try context.parameters.require("id")
            guard let model = try await chat.models(by: context.principal).first(where: { $0.id == id || $0.id == id + ":latest" }) else {
                throw HearthError.modelNotFound(id)
            }
            return try json(OpenAI.ModelList.Model(model))
        }
    }

    func chatCompletions(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let wire = try await request.decode(OpenAI.ChatCompletionRequest.self, upTo: maxBodyBytes)
        let native = canonical(try wire.native(defaultModel: chat.defaultModel))
        let id = "chatcmpl-" + randomID()
        let created = Int(Date().timeIntervalSince1970)
        let conversation = try await wire.conversation.asyncMap { try await conversations.resolve($0, by: context.principal) }
        var sources: [SearchHit] = []
        let generation = try await Generation.start(model: native.model, metrics: metrics) {
            let started = try await chat.start(
                native, collections: wire.collections ?? [], conversation: conversation, by: context.principal)
            sources = started.sources
            return started.events
        }
        guard wire.stream == true else {
            let answer = try await generation.collect(for: context)
            return try json(
                OpenAI.ChatCompletion(
                    id: id, created: created, model: native.model, text: answer.text, toolCalls: answer.toolCalls,
                    finishReason: answer.reason, usage: answer.usage, sources: sources)
            ).naming(conversation)
        }
        let cited = sources
        let includeUsage = wire.streamOptions?.includeUsage == true
        return generation.sse { event in
            switch event {
            case .start:
                return [
                    try ServerSentEvents.event(
                        OpenAI.ChatCompletionChunk(
                            id: id, created: created, model: native.model, delta: .init(role: "assistant", content: ""), sources: cited))
                ]
            case .text(let text):
                return [
                    try ServerSentEvents.event(
                        OpenAI.ChatCompletionChunk(id: id, created: created, model: native.model, delta: .init(content: text)))
                ]
            case .toolCall(let index, let call):
                return try OpenAI.ToolCallDelta.pieces(of: call, index: index).map {
                    try ServerSentEvents.event(
                        OpenAI.ChatCompletionChunk(id: id, created: created, model: native.model, delta: .init(toolCalls: [$0])))
                }
            case .done(let reason, let usage):
                var events = [
                    try ServerSentEvents.event(
                        OpenAI.ChatCompletionChunk(id: id, created: created, model: native.model, delta: .init(), finishReason: reason))
                ]
                if includeUsage {
                    events.append(
                        try ServerSentEvents.event(
                            OpenAI.ChatCompletionChunk(id: id, created: created, model: native.model, usage: usage)))
                }
                return events
            }
        }.naming(conversation)
    }

    func completions(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let wire = try await request.decode(OpenAI.CompletionRequest.self, upTo: maxBodyBytes)
        let native = canonical(try wire.native(defaultModel: chat.defaultModel))
        let id = "cmpl-" + randomID()
        let created = Int(Date().timeIntervalSince1970)
        let generation = try await Generation.start(model: native.model, metrics: metrics) {
            try await chat.generate(native, by: context.principal)
        }
        guard wire.stream == true else {
            let answer = try await generation.collect(for: context)
            return try json(
                OpenAI.Completion(
                    id: id, created: created, model: native.model, choices: [.init(text: answer.text, finishReason: answer.reason)],
                    usage: answer.usage))
        }
        let includeUsage = wire.streamOptions?.includeUsage == true
        return generation.sse { event in
            switch event {
            case .start:
                return []
            case .text(let text):
                return [
                    try ServerSentEvents.event(
                        OpenAI.Completion(
                            id: id, created: created, model: native.model, choices: [.init(text: text, finishReason: nil)], usage: nil))
                ]
            case .toolCall:
                return []  // completions offer no tools
            case .done(let reason, let usage):
                var events = [
                    try ServerSentEvents.event(
                        OpenAI.Completion(
                            id: id, created: created, model: native.model, choices: [.init(text: "", finishReason: reason)], usage: nil)
                    )
                ]
                if includeUsage {
                    events.append(
                        try ServerSentEvents.event(
                            OpenAI.Completion(id: id, created: created, model: native.model, choices: [], usage: usage)))
                }
                return events
            }
        }
    }

    func embeddings(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let wire = try await request.decode(OpenAI.EmbeddingRequest.self, upTo: maxBodyBytes)
        let native = canonical(try wire.native(defaultModel: chat.defaultEmbeddingModel))
        let result = try await chat.embed(native, by: context.principal)
        metrics.recordEmbedding(model: native.model, promptTokens: result.promptTokens)
        return try json(OpenAI.EmbeddingList(model: native.model, result: result, base64: wire.encodingFormat == "base64"))
    }
}

/// A JSON response.
func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return Response(
        status: status, headers: [.contentType: "application/json"],
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
}

extension Response {
    /// The response with the `Hearth-Conversation` header naming the conversation the chat was kept in.
    func naming(_ conversation: Conversation?) -> Response {
        guard let conversation, let name = HTTPField.Name(ConversationWire.header) else { return self }
        var response = self
        response.headers[name] = conversation.id
        return response
    }
}

extension Optional {
    /// The wrapped value transformed by an async function, or nil.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

/// Native requests that name a model.
protocol ModelRequest {
    var model: String { get set }
}

/// The request with its model under the name used everywhere (`smollm2` → `smollm2:latest`).
func canonical<Request: ModelRequest>(_ request: Request) -> Request {
    var request = request
    request.model = ModelStore.canonicalName(request.model)
    return request
}

extension GenerationRequest: ModelRequest {}
extension EmbeddingRequest: ModelRequest {}
