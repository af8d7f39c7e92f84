import Foundation
import HearthCore
import HearthEngine
import HearthModels

/// Serves models from the local store (or GGUF paths) with the in-process llama.cpp engine,
/// and schedules them: a model is loaded on first use (once, however many requests ask at
/// the same time), stays loaded for its keep-alive after its last request, and the least
/// recently used idle models are unloaded when a new one would exceed the memory budget.
/// Names that share a file (a copy, a profile and its base) share one engine.
public actor LocalProvider: InferenceProvider {
    public nonisolated let name = "local"
    public nonisolated let store: ModelStore
    public nonisolated let options: EngineOptions
    /// Seconds an idle model stays loaded (negative: forever), unless a request says otherwise.
    public nonisolated let keepAlive: TimeInterval
    /// Memory all loaded models may take together.
    public nonisolated let maxMemoryBytes: Int64
    /// Loaded (or loading) engines by file path.
    private var engines: [String: Task<Engine, any Error>] = [:]
    /// What is loaded, who uses it, and what goes next.
    private var residency: ModelResidency
    /// The time, injected so that tests can move it.
    private let now: @Sendable () -> Date
    /// Where loads and unloads are published (`model` events).
    private nonisolated let events: (any EventBus)?

    public init(
        store: ModelStore, options: EngineOptions, keepAlive: TimeInterval = 300, maxMemoryBytes: Int64 = .max,
        events: (any EventBus)? = nil, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.events = events
        self.store = store
        self.options = options
        self.keepAlive = keepAlive
        self.maxMemoryBytes = maxMemoryBytes
        self.now = now
        residency = ModelResidency(budget: maxMemoryBytes)
    }

    /// Loads `model` (a store name or a file path) and keeps it loaded until it is unloaded
    /// explicitly. File paths are served only once loaded this way, by whoever runs the
    /// server, never by a request.
    /// - Throws: `HearthError.modelNotFound`, or `.modelLoadFailed` when the file is unusable.
    @discardableResult
    public func load(_ model: String) async throws -> Engine {
        let (engine, path) = try await acquire(model, allowingPaths: true, keepAlive: -1)
        await release(path, keepAlive: -1)
        return engine
    }

    public func preload(_ model: String, keepAlive: TimeInterval?) async throws {
        let (_, path) = try await acquire(model, allowingPaths: false, keepAlive: keepAlive)
        await release(path, keepAlive: keepAlive)
    }

    /// Unloads `model` now if it is loaded and idle (else as soon as its requests end).
    /// - Returns: whether it was loaded.
    @discardableResult
    public func unload(_ model: String) async -> Bool {
        guard let path = loadedPath(model) else { return false }
        residency.markUnloading(path)
        await evictExpired(now: now())
        return true
    }

    /// Unloads every idle model whose keep-alive has passed by `now`. The server calls it
    /// every second; tests call it with any time they like.
    public func evictExpired(now: Date) async {
        for path in residency.expired(at: now) { await remove(path) }
    }

    private func loadedPath(_ model: String) -> String? {
        if let path = loadedUnderName(model) { return path }
        return (try? store.resolve(model)).map(\.path).flatMap { engines[$0] == nil ? nil : $0 }
    }

    /// The file of a model loaded under this name, found without reading the store (the
    /// hot path of every request to a loaded model).
    private func loadedUnderName(_ model: String) -> String? {
        let name = ModelStore.canonicalName(model)
        return residency.models.first(where: { $0.value.name == name })?.key
    }

    /// The engine for `model`, loading it first when needed, counted as in use until `release`.
    private func acquire(_ model: String, allowingPaths: Bool, keepAlive: TimeInterval?) async throws -> (Engine, String) {
        let loaded = loadedUnderName(model)
        guard allowingPaths || !ModelStore.isPath(model) || loaded != nil else { throw HearthError.modelNotFound(model) }
        let path = try loaded ?? store.resolve(model).path
        if engines[path] == nil {
            // A truncated or corrupt file is a clear error, before llama.cpp sees it.
            let metadata = try ModelMetadata.read(URL(filePath: path))
            if metadata.wakeWord {
                throw HearthError.invalidRequest("\(model) is a wake-word model: hearth listen uses it", field: "model")
            }
            if metadata.textToSpeech {
                throw HearthError.invalidRequest("\(model) is a voice: send text to /v1/audio/speech", field: "model")
            }
            if metadata.speechToText {
                throw HearthError.invalidRequest(
                    "\(model) is a speech-to-text model: send audio to /v1/audio/transcriptions", field: "model")
            }
            let memory = metadata.memoryEstimate(contextTokens: options.contextPerSequence * options.parallel)
            for victim in try residency.evictions(toFit: memory, for: model) { await remove(victim) }
            if engines[path] == nil {  // another request may have started loading it meanwhile
                let (options, name, events) = (options, ModelStore.canonicalName(model), events)
                engines[path] = Task {
                    try await Self.load(path, options: options, name: name, memoryBytes: memory, events: events)
                }
                residency.add(path, name: name, memoryBytes: memory, keepAlive: self.keepAlive, now: now())
            }
        }
        residency.begin(path, keepAlive: keepAlive)
        do {
            return (try await engines[path]!.value, path)
        } catch {
            engines[path] = nil
            residency.remove(path)
            throw error
        }
    }

    /// Loads the engine of `path`, publishing how it went (the `model` events).
    private static func load(_ path: String, options: EngineOptions, name: String, memoryBytes: Int64, events: (any EventBus)?)
        async throws -> Engine
    {
        let started = ContinuousClock.now
        func publish(_ action: ModelChange.Action, error: String? = nil) {
            let seconds = (ContinuousClock.now - started).seconds
            events?.publish(
                HearthEvent(.model(ModelChange(name: name, action: action, memoryBytes: memoryBytes, seconds: seconds, error: error))))
        }
        do {
            let engine = try await Engine.load(path: path, options: options)
            publish(.loaded)
            return engine
        } catch {
            publish(.failed, error: (error as? HearthError)?.message ?? "\(error)")
            throw error
        }
    }

    /// Ends one use of the model at `path`; unloads it at once when its keep-alive is 0.
    private func release(_ path: String, keepAlive: TimeInterval?) async {
        if residency.end(path, keepAlive: keepAlive, now: now()) { await evictExpired(now: now()) }
    }

    private func remove(_ path: String) async {
        let resident = residency.models[path]
        residency.remove(path)
        guard let engine = engines.removeValue(forKey: path) else { return }
        guard let engine = try? await engine.value else { return }
        await engine.shutdown()
        if let resident {
            events?.publish(HearthEvent(.model(.init(name: resident.name, action: .unloaded, memoryBytes: resident.memoryBytes))))
        }
    }

    public func loadedModels() async -> [LoadedModel] {
        var result: [LoadedModel] = []
        for (path, resident) in residency.models {
            guard let engine = try? await engines[path]?.value else { continue }
            result.append(
                LoadedModel(
                    name: resident.name, provider: name, activity: engine.activity, memoryBytes: resident.memoryBytes,
                    expiresAt: resident.expiresAt))
        }
        return result.sorted { $0.name < $1.name }
    }

    public func models() async throws -> [ModelInfo] {
        var infos = try store.list().map {
            ModelInfo(id: $0.name, provider: name, created: Int($0.modified.timeIntervalSince1970), size: $0.size)
        }
        for resident in residency.models.values where ModelStore.isPath(resident.name) {
            infos.append(ModelInfo(id: resident.name, provider: name, created: 0, size: nil))
        }
        return infos
    }

    public func serves(_ model: String) async -> Bool {
        if loadedUnderName(model) != nil { return true }
        return !ModelStore.isPath(model) && (try? store.resolve(model)) != nil
    }

    public func generate(_ request: GenerationRequest) async throws -> AsyncThrowingStream<TokenEvent, any Error> {
        let (engine, path) = try await acquire(request.model, allowingPaths: false, keepAlive: request.keepAlive)
        let tokens = engine.generate(request.prompt, params: request.params, template: request.template, tools: request.tools)
        let (stream, continuation) = AsyncThrowingStream<TokenEvent, any Error>.makeStream()
        // The model is released before the client sees the end, so that its next request
        // (perhaps for another model that needs the memory) finds it idle.
        let forward = Task.detached {
            var released = false
            do {
                for try await event in tokens {
                    if case .done = event {
                        await self.release(path, keepAlive: request.keepAlive)
                        released = true
                    }
                    continuation.yield(event)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
            if !released { await self.release(path, keepAlive: request.keepAlive) }
        }
        continuation.onTermination = { _ in forward.cancel() }
        return stream
    }

    /// Tokenises off the actor, so that a long prompt holds up no other request.
    public nonisolated func promptTokens(_ request: GenerationRequest) async throws -> Int {
        let (engine, path) = try await acquire(request.model, allowingPaths: false, keepAlive: request.keepAlive)
        let count = Result { try engine.promptTokens(request.prompt, template: request.template, tools: request.tools) }
        await release(path, keepAlive: request.keepAlive)
        return try count.get()
    }

    public func embed(_ request: EmbeddingRequest) async throws -> EmbeddingResult {
        let (engine, path) = try await acquire(request.model, allowingPaths: false, keepAlive: request.keepAlive)
        do {
            let result = try await engine.embed(request.inputs)
            await release(path, keepAlive: request.keepAlive)
            return result
        } catch {
            await release(path, keepAlive: request.keepAlive)
            throw error
        }
    }

    /// The server is shutting down: what every engine still computes `grace` from now is cut
    /// short (`Engine.cutShort(after:)`), so that the process exits soon however slow it runs.
    public func cutShort(after grace: Duration) async {
        for engine in engines.values { try? await engine.value.cutShort(after: grace) }
    }

    /// Stops every engine and forgets it.
    public func shutdown() async {
        for path in engines.keys { await remove(path) }
    }
}

extension LocalProvider {
    /// The chat templates llama.cpp has built in (`chatml`, `llama3`, `gemma`, …), the
    /// values a profile's TEMPLATE may take.
    public static var templateNames: [String] { Engine.templateNames }

    /// Checks a profile's TEMPLATE: a built-in name, or a Jinja chat template (as a model
    /// file carries, such as Qwen 2.5's, which brings its tool-call format with it).
    /// - Throws: `HearthError.invalidRequest` naming `template` for an unknown name or a
    ///   Jinja template llama.cpp cannot parse.
    public static func verifyTemplate(_ template: String) throws {
        if Engine.isJinja(template) {
            try Engine.verifyJinjaTemplate(template)
        } else if !templateNames.contains(template) {
            throw HearthError.invalidRequest(
                "unknown template '\(template)': give a Jinja chat template, or a name llama.cpp knows: \(templateNames.joined(separator: ", "))",
                field: "template")
        }
    }

    /// The template the engine applies to a model of `architecture` whose file carries none.
    public static func fallbackTemplate(for architecture: String) -> String { Engine.fallbackTemplate(for: architecture) }
}
