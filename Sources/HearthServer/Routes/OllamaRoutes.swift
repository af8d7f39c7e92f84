import Foundation
import HearthCore
import HearthModels
import HearthProviders
import HearthWire
import Hummingbird
import NIOCore

/// `/api/*`: Ollama's API, translated into the chat pipeline and the model store and back.
/// Errors answer in Ollama's `{"error": "…"}` shape (see `APIError`).
struct OllamaRoutes<Context: RequestContext>: Sendable {
    let pipeline: ChatPipeline
    let metrics: Metrics
    let maxBodyBytes: Int
    let packageIndex: String

    func add(to router: Router<Context>) {
        router.post("/api/chat") { request, _ in try await chat(request) }
        router.post("/api/generate") { request, _ in try await generate(request) }
        router.post("/api/embed") { request, _ in try await embed(request) }
        router.post("/api/embeddings") { request, _ in try await legacyEmbeddings(request) }
        router.get("/api/tags") { _, _ in try await tags() }
        router.post("/api/show") { request, _ in try await show(request) }
        router.get("/api/ps") { _, _ in try await ps() }
        router.post("/api/pull") { request, _ in try await pull(request) }
        router.delete("/api/delete") { request, _ in try await delete(request) }
        router.post("/api/copy") { request, _ in try await copy(request) }
        router.get("/api/version") { _, _ in try json(Ollama.VersionResponse(version: Configuration.version)) }
        router.head("/") { _, _ in Response(status: .ok) }
    }

    // MARK: - Generation

    func chat(_ request: Request) async throws -> Response {
        let wire = try await request.decode(Ollama.ChatRequest.self, upTo: maxBodyBytes)
        if wire.isLoadOnly {
            let model = ModelStore.canonicalName(Ollama.model(wire.model, pipeline.defaultModel))
            let reason = try await loadOrUnload(model, unload: wire.isUnload, keepAlive: wire.keepAlive?.seconds)
            return try json(Ollama.ChatResponse(model: model, doneReason: reason))
        }
        let native = try nativeRequest(wire.native(defaultModel: pipeline.defaultModel), keepAlive: wire.keepAlive)
        let model = native.model
        return try await respond(
            native, streams: wire.streams, piece: { Ollama.ChatResponse(model: model, content: $0) },
            final: { Ollama.ChatResponse(model: model, content: $0, finishReason: $1, usage: $2, timings: $3) })
    }

    func generate(_ request: Request) async throws -> Response {
        let wire = try await request.decode(Ollama.GenerateRequest.self, upTo: maxBodyBytes)
        if wire.isLoadOnly {
            let model = ModelStore.canonicalName(Ollama.model(wire.model, pipeline.defaultModel))
            let reason = try await loadOrUnload(model, unload: wire.isUnload, keepAlive: wire.keepAlive?.seconds)
            return try json(Ollama.GenerateResponse(model: model, doneReason: reason))
        }
        let native = try nativeRequest(wire.native(defaultModel: pipeline.defaultModel), keepAlive: wire.keepAlive)
        let model = native.model
        return try await respond(
            native, streams: wire.streams, piece: { Ollama.GenerateResponse(model: model, response: $0) },
            final: { Ollama.GenerateResponse(model: model, response: $0, finishReason: $1, usage: $2, timings: $3) })
    }

    private func nativeRequest(_ request: GenerationRequest, keepAlive: Ollama.KeepAlive?) -> GenerationRequest {
        var request = canonical(request)
        request.keepAlive = keepAlive?.seconds
        return request
    }

    /// Runs the generation and answers whole, or as NDJSON chunks (`piece` per text piece,
    /// then `final` with empty text); `final` also builds the whole answer.
    private func respond<Chunk: Encodable & Sendable>(
        _ native: GenerationRequest, streams: Bool, piece: @escaping @Sendable (String) -> Chunk,
        final: @escaping @Sendable (String, FinishReason, Usage, Ollama.Timings) -> Chunk
    ) async throws -> Response {
        let generation = try await Generation.start(pipeline: pipeline, request: native, metrics: metrics)
        guard streams else {
            let (text, reason, usage) = try await generation.collect()
            return try json(final(text, reason, usage, generation.timings))
        }
        return generation.ndjson { event in
            switch event {
            case .start: []
            case .text(let text): [try Ollama.line(piece(text))]
            case .done(let reason, let usage): [try Ollama.line(final("", reason, usage, generation.timings))]
            }
        }
    }

    /// A request without a prompt: loads the model, or unloads it when `keep_alive` is 0.
    private func loadOrUnload(_ model: String, unload: Bool, keepAlive: TimeInterval?) async throws -> String {
        if unload {
            _ = await pipeline.unload(model)
            return "unload"
        }
        try await pipeline.preload(model, keepAlive: keepAlive)
        return "load"
    }

    func embed(_ request: Request) async throws -> Response {
        let started = ContinuousClock.now
        let wire = try await request.decode(Ollama.EmbedRequest.self, upTo: maxBodyBytes)
        if wire.isLoadOnly {
            let model = ModelStore.canonicalName(Ollama.model(wire.model, pipeline.defaultEmbeddingModel))
            try await pipeline.preload(model, keepAlive: wire.keepAlive?.seconds)
            return try json(Ollama.EmbedResponse(model: model))
        }
        var native = canonical(try wire.native(defaultModel: pipeline.defaultEmbeddingModel))
        native.keepAlive = wire.keepAlive?.seconds
        let result = try await pipeline.embed(native)
        metrics.recordTokens(model: native.model, prompt: result.promptTokens, completion: 0)
        let elapsed = ContinuousClock.now - started
        return try json(
            Ollama.EmbedResponse(model: native.model, result: result, timings: Ollama.Timings(total: elapsed, promptEval: elapsed)))
    }

    func legacyEmbeddings(_ request: Request) async throws -> Response {
        let wire = try await request.decode(Ollama.EmbeddingsRequest.self, upTo: maxBodyBytes)
        if wire.isLoadOnly {
            try await pipeline.preload(
                ModelStore.canonicalName(Ollama.model(wire.model, pipeline.defaultEmbeddingModel)), keepAlive: wire.keepAlive?.seconds)
            return try json(Ollama.EmbeddingsResponse(embedding: []))
        }
        var native = canonical(try wire.native(defaultModel: pipeline.defaultEmbeddingModel))
        native.keepAlive = wire.keepAlive?.seconds
        let result = try await pipeline.embed(native)
        return try json(Ollama.EmbeddingsResponse(embedding: result.vectors.first ?? []))
    }

    // MARK: - Models

    func tags() async throws -> Response {
        let store = try requireStore()
        let models = try store.list().map { entry in
            Ollama.TagsResponse.Model(
                name: entry.name, modified: entry.modified, size: entry.size, digest: entry.digest, details: details(of: entry))
        }
        return try json(Ollama.TagsResponse(models: models))
    }

    func show(_ request: Request) async throws -> Response {
        let store = try requireStore()
        let name = try await request.decode(Ollama.ShowRequest.self, upTo: maxBodyBytes).modelName()
        guard let entry = try store.entry(name) else { throw HearthError.modelNotFound(name) }
        let metadata = try store.metadata(of: entry)
        let profile = entry.profile
        let parameters = profile.flatMap { profile -> String? in
            let lines = Self.parameterLines(profile)
            return lines.isEmpty ? nil : lines.joined(separator: "\n")
        }
        var modelfile = "FROM \(profile?.from ?? entry.name)\n"
        if let system = profile?.system { modelfile += "SYSTEM \"\"\"\(system)\"\"\"\n" }
        if let parameters { modelfile += parameters.split(separator: "\n").map { "PARAMETER \($0)\n" }.joined() }
        if let template = profile?.template { modelfile += "TEMPLATE \(template)\n" }
        return try json(
            Ollama.ShowResponse(
                details: Self.details(metadata),
                modelInfo: Ollama.modelInfo(
                    architecture: metadata.architecture, parameters: metadata.parameters, contextLength: metadata.contextLength,
                    embeddingLength: metadata.embeddingLength, blockCount: metadata.blockCount, headCount: metadata.headCount,
                    vocabularySize: metadata.vocabularySize),
                capabilities: metadata.embeddingOnly ? ["embedding"] : ["completion"], modified: entry.modified,
                modelfile: modelfile, parameters: parameters, template: profile?.template ?? metadata.chatTemplate,
                system: profile?.system))
    }

    func ps() async throws -> Response {
        let store = pipeline.store
        var models: [Ollama.PsResponse.Model] = []
        for loaded in await pipeline.loadedModels() {
            let entry = ModelStore.isPath(loaded.name) ? nil : try? store?.entry(loaded.name)
            models.append(
                Ollama.PsResponse.Model(
                    name: loaded.name, size: loaded.memoryBytes, digest: entry?.digest ?? "",
                    details: entry.map(details(of:)) ?? Ollama.ModelDetails(family: "", parameters: 0, quantization: ""),
                    expires: loaded.expiresAt, contextLength: loaded.activity.contextPerSequence))
        }
        return try json(Ollama.PsResponse(models: models))
    }

    func pull(_ request: Request) async throws -> Response {
        let store = try requireStore()
        let wire = try await request.decode(Ollama.PullRequest.self, upTo: maxBodyBytes)
        let puller = ModelPuller(store: store, packageIndex: packageIndex)
        let (source, name) = try puller.resolve(try wire.modelName(), name: nil)
        guard wire.streams else {
            _ = try await puller.pull(source, as: name)
            return try json(Ollama.PullProgress.success)
        }
        let label = source.sha256.map { "sha256:" + $0 }
        return Response(
            status: .ok, headers: [.contentType: Ollama.streamContentType],
            body: ResponseBody { writer in
                let (updates, continuation) = AsyncStream<Ollama.PullProgress>.makeStream()
                let work = Task {
                    do {
                        var lastPercent = -1
                        continuation.yield(.pullingManifest)
                        _ = try await puller.pull(source, as: name) { progress in
                            switch progress.status {
                            case "pulling":
                                let percent = progress.total.map { Int(progress.completed * 100 / max($0, 1)) } ?? -1
                                guard percent != lastPercent || progress.completed == progress.total else { return }
                                lastPercent = percent
                                continuation.yield(
                                    .pulling(digest: label, total: progress.total, completed: progress.completed))
                            case "verifying": continuation.yield(.verifying)
                            case "installing": continuation.yield(.writingManifest)
                            default: break
                            }
                        }
                        continuation.yield(.success)
                    } catch {
                        continuation.yield(Ollama.PullProgress(status: "error: " + APIError(error).message))
                    }
                    continuation.finish()
                }
                do {
                    for await update in updates {
                        if update.status.hasPrefix("error: ") {
                            try await writer.write(
                                ByteBuffer(string: try Ollama.line(Ollama.ErrorBody(String(update.status.dropFirst(7))))))
                        } else {
                            try await writer.write(ByteBuffer(string: try Ollama.line(update)))
                        }
                    }
                } catch {
                    work.cancel()
                    throw error
                }
                try await writer.finish(nil)
            })
    }

    func delete(_ request: Request) async throws -> Response {
        let store = try requireStore()
        let name = ModelStore.canonicalName(try await request.decode(Ollama.DeleteRequest.self, upTo: maxBodyBytes).modelName())
        guard try store.entry(name) != nil else { throw HearthError.modelNotFound(name) }
        _ = await pipeline.unload(name)
        try store.remove(name)
        return Response(status: .ok)
    }

    func copy(_ request: Request) async throws -> Response {
        let store = try requireStore()
        let wire = try await request.decode(Ollama.CopyRequest.self, upTo: maxBodyBytes)
        try store.copy(wire.source, to: wire.destination)
        return Response(status: .ok)
    }

    // MARK: - Helpers

    private func requireStore() throws -> ModelStore {
        guard let store = pipeline.store else { throw HearthError(.notFound, "this server has no model store") }
        return store
    }

    private func details(of entry: ModelStore.Entry) -> Ollama.ModelDetails {
        (try? pipeline.store?.metadata(of: entry)).map(Self.details) ?? Ollama.ModelDetails(family: "", parameters: 0, quantization: "")
    }

    static func details(_ metadata: ModelMetadata) -> Ollama.ModelDetails {
        Ollama.ModelDetails(family: metadata.architecture, parameters: metadata.parameters, quantization: metadata.quantization)
    }

    /// A profile's parameters as Modelfile lines (`temperature 0.2`).
    static func parameterLines(_ profile: Profile) -> [String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(profile.parameters),
            let values = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [] }
        return values.keys.sorted().map { "\($0) \(values[$0]!)" } + profile.stop.map { "stop \"\($0)\"" }
    }
}
