import Foundation
import HearthCore
import HearthModels
import HearthServices
import HearthWire
import Hummingbird
import Logging
import NIOCore

/// `/api/*`: Ollama's API, translated into the chat and model services and back.
/// Errors answer in Ollama's `{"error": "…"}` shape (see `APIError`).
struct OllamaRoutes: Sendable {
    let chat: ChatService
    let conversations: ConversationService
    let models: ModelService
    let metrics: Metrics
    let maxBodyBytes: Int

    func add(to router: Router<HearthRequestContext>) {
        router.post("/api/chat") { request, context in try await chat(request, context) }
        router.post("/api/generate") { request, context in try await generate(request, context) }
        router.post("/api/embed") { request, context in try await embed(request, context) }
        router.post("/api/embeddings") { request, context in try await legacyEmbeddings(request, context) }
        router.get("/api/tags") { _, context in try tags(context) }
        router.post("/api/show") { request, context in try await show(request, context) }
        router.get("/api/ps") { _, context in try await ps(context) }
        router.post("/api/pull") { request, context in try await pull(request, context) }
        router.delete("/api/delete") { request, context in try await delete(request, context) }
        router.post("/api/copy") { request, context in try await copy(request, context) }
        router.post("/api/create") { request, context in try await create(request, context) }
        router.get("/api/version") { _, _ in try json(Ollama.VersionResponse(version: Configuration.version)) }
        router.head("/") { _, _ in Response(status: .ok) }
    }

    // MARK: - Generation

    func chat(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let wire = try await request.decode(Ollama.ChatRequest.self, upTo: maxBodyBytes)
        if wire.isLoadOnly {
            let model = ModelStore.canonicalName(Ollama.model(wire.model, chat.defaultModel))
            let reason = try await loadOrUnload(model, unload: wire.isUnload, keepAlive: wire.keepAlive?.seconds, by: context.principal)
            return try json(Ollama.ChatResponse(model: model, doneReason: reason))
        }
        let native = try nativeRequest(wire.native(defaultModel: chat.defaultModel), keepAlive: wire.keepAlive)
        let model = native.model
        let conversation = try await wire.conversation.asyncMap { try await conversations.resolve($0, by: context.principal) }
        return try await respond(
            native, collections: wire.collections ?? [], conversation: conversation, streams: wire.streams, context: context,
            piece: { Ollama.ChatResponse(model: model, content: $0, toolCalls: $1, firstCall: $2) },
            final: {
                Ollama.ChatResponse(
                    model: model, content: $0.text, toolCalls: $0.toolCalls, finishReason: $0.reason, usage: $0.usage, timings: $1)
            })
    }

    func generate(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let wire = try await request.decode(Ollama.GenerateRequest.self, upTo: maxBodyBytes)
        if wire.isLoadOnly {
            let model = ModelStore.canonicalName(Ollama.model(wire.model, chat.defaultModel))
            let reason = try await loadOrUnload(model, unload: wire.isUnload, keepAlive: wire.keepAlive?.seconds, by: context.principal)
            return try json(Ollama.GenerateResponse(model: model, doneReason: reason))
        }
        let native = try nativeRequest(wire.native(defaultModel: chat.defaultModel), keepAlive: wire.keepAlive)
        let model = native.model
        return try await respond(
            native, streams: wire.streams, context: context, piece: { text, _, _ in Ollama.GenerateResponse(model: model, response: text) },
            final: { Ollama.GenerateResponse(model: model, response: $0.text, finishReason: $0.reason, usage: $0.usage, timings: $1) })
    }

    private func nativeRequest(_ request: GenerationRequest, keepAlive: Ollama.KeepAlive?) -> GenerationRequest {
        var request = canonical(request)
        request.keepAlive = keepAlive?.seconds
        return request
    }

    /// Runs the generation and answers whole, or as NDJSON chunks (`piece` per text piece and
    /// per tool call, as each call is complete, with its number; then `final` without text or
    /// calls); `final` also builds the whole answer.
    private func respond<Chunk: Encodable & Sendable>(
        _ native: GenerationRequest, collections: [String] = [], conversation: Conversation? = nil, streams: Bool,
        context: HearthRequestContext,
        piece: @escaping @Sendable (String, [ToolCall], Int) -> Chunk,
        final: @escaping @Sendable (Generation.Answer, Ollama.Timings) -> Chunk
    ) async throws -> Response {
        let generation = try await Generation.start(model: native.model, metrics: metrics) {
            try await chat.generate(native, collections: collections, conversation: conversation, by: context.principal)
        }
        guard streams else {
            let answer = try await generation.collect(for: context)
            return try json(final(answer, generation.timings)).naming(conversation)
        }
        return generation.ndjson { event in
            switch event {
            case .start: []
            case .text(let text): [try Ollama.line(piece(text, [], 0))]
            case .toolCall(let index, let call): [try Ollama.line(piece("", [call], index))]
            case .done(let reason, let usage):
                [try Ollama.line(final(Generation.Answer(reason: reason, usage: usage), generation.timings))]
            }
        }.naming(conversation)
    }

    /// A request without a prompt: loads the model, or unloads it when `keep_alive` is 0.
    private func loadOrUnload(_ model: String, unload: Bool, keepAlive: TimeInterval?, by principal: Principal) async throws -> String {
        if unload {
            try await chat.unload(model, by: principal)
            return "unload"
        }
        try await chat.load(model, keepAlive: keepAlive, by: principal)
        return "load"
    }

    func embed(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        let wire = try await request.decode(Ollama.EmbedRequest.self, upTo: maxBodyBytes)
        if wire.isLoadOnly {
            let model = ModelStore.canonicalName(Ollama.model(wire.model, chat.defaultEmbeddingModel))
            try await chat.load(model, keepAlive: wire.keepAlive?.seconds, by: context.principal)
            return try json(Ollama.EmbedResponse(model: model))
        }
        var native = canonical(try wire.native(defaultModel: chat.defaultEmbeddingModel))
        native.keepAlive = wire.keepAlive?.seconds
        let result = try await chat.embed(native, by: context.principal)
        metrics.recordEmbedding(model: native.model, promptTokens: result.promptTokens)
        let elapsed = ContinuousClock.now - started
        return try json(
            Ollama.EmbedResponse(model: native.model, result: result, timings: Ollama.Timings(total: elapsed, promptEval: elapsed)))
    }

    func legacyEmbeddings(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let wire = try await request.decode(Ollama.EmbeddingsRequest.self, upTo: maxBodyBytes)
        if wire.isLoadOnly {
            try await chat.load(
                Ollama.model(wire.model, chat.defaultEmbeddingModel), keepAlive: wire.keepAlive?.seconds, by: context.principal)
            return try json(Ollama.EmbeddingsResponse(embedding: []))
        }
        var native = canonical(try wire.native(defaultModel: chat.defaultEmbeddingModel))
        native.keepAlive = wire.keepAlive?.seconds
        let result = try await chat.embed(native, by: context.principal)
        metrics.recordEmbedding(model: native.model, promptTokens: result.promptTokens)
        return try json(Ollama.EmbeddingsResponse(embedding: result.vectors.first ?? []))
    }

    // MARK: - Models

    func tags(_ context: HearthRequestContext) throws -> Response {
        let models = try models.list(by: context.principal).map { model in
            Ollama.TagsResponse.Model(
                name: model.entry.name, modified: model.entry.modified, size: model.entry.size, digest: model.entry.digest,
                details: Self.details(model.metadata))
        }
        return try json(Ollama.TagsResponse(models: models))
    }

    func show(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let model = try models.show(
            try await request.decode(Ollama.ShowRequest.self, upTo: maxBodyBytes).modelName(), by: context.principal)
        let metadata = model.metadata
        return try json(
            Ollama.ShowResponse(
                details: Self.details(metadata),
                modelInfo: Ollama.modelInfo(
                    architecture: metadata.architecture, parameters: metadata.parameters, contextLength: metadata.contextLength,
                    embeddingLength: metadata.embeddingLength, blockCount: metadata.blockCount, headCount: metadata.headCount,
                    vocabularySize: metadata.vocabularySize),
                capabilities: metadata.embeddingOnly ? ["embedding"] : ["completion"], modified: model.entry?.modified ?? Date(),
                modelfile: model.modelfile,
                parameters: model.parameterLines.isEmpty ? nil : model.parameterLines.joined(separator: "\n"),
                template: model.profile?.template ?? metadata.chatTemplate, system: model.profile?.system))
    }

    func ps(_ context: HearthRequestContext) async throws -> Response {
        let running = await models.running(by: context.principal).map { running in
            Ollama.PsResponse.Model(
                name: running.model.name, size: running.model.memoryBytes, digest: running.entry?.digest ?? "",
                details: Self.details(running.metadata), expires: running.model.expiresAt,
                contextLength: running.model.activity.contextPerSequence)
        }
        return try json(Ollama.PsResponse(models: running))
    }

    func pull(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let logger = context.logger
        let wire = try await request.decode(Ollama.PullRequest.self, upTo: maxBodyBytes)
        let events = models.pull(try wire.modelName(), by: context.principal)
        guard wire.streams else {
            for try await _ in events {}
            return try json(Ollama.PullProgress.success)
        }
        return try await StartedStream(events).ndjson(
            logger: logger,
            { event in try Self.progress(event).map(Ollama.line) ?? "" },
            failure: { (try? Ollama.line(Ollama.ErrorBody($0.message))) ?? "" })
    }

    /// A pull's event in Ollama's words; nil for events Ollama does not send.
    static func progress(_ event: ModelService.PullEvent) -> Ollama.PullProgress? {
        switch event {
        case .started: .pullingManifest
        case .downloading(let file, let completed, let total, _): .pulling(digest: file, total: total, completed: completed)
        case .converting: nil
        case .verifying: .verifying
        case .installing: .writingManifest
        case .done: .success
        }
    }

    func delete(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        try await models.delete(
            try await request.decode(Ollama.DeleteRequest.self, upTo: maxBodyBytes).modelName(), by: context.principal)
        return Response(status: .ok)
    }

    /// Creates the model at once; streamed, as Ollama's progress lines ending in `success`.
    func create(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let wire = try await request.decode(Ollama.CreateRequest.self, upTo: maxBodyBytes)
        let (parameters, stop) = try wire.textParameters()
        let changes = ModelService.ProfileChanges(
            from: wire.from, system: wire.system, parameters: parameters, stop: stop, template: wire.template)
        try models.create(try wire.modelName(), modelfile: wire.modelfile, changes: changes, by: context.principal)
        guard wire.stream ?? true else { return try json(Ollama.PullProgress.success) }
        let lines = try Ollama.line(Ollama.PullProgress.writingManifest) + Ollama.line(Ollama.PullProgress.success)
        return Response(
            status: .ok, headers: [.contentType: "application/x-ndjson"], body: ResponseBody(byteBuffer: ByteBuffer(string: lines)))
    }

    func copy(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let wire = try await request.decode(Ollama.CopyRequest.self, upTo: maxBodyBytes)
        try models.copy(wire.source, to: wire.destination, by: context.principal)
        return Response(status: .ok)
    }

    static func details(_ metadata: ModelMetadata?) -> Ollama.ModelDetails {
        Ollama.ModelDetails(
            family: metadata?.architecture ?? "", parameters: metadata?.parameters ?? 0, quantization: metadata?.quantization ?? "")
    }
}
