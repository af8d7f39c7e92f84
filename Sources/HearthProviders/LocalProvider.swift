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
    /// Loaded (or loading) models by file path.
    private var models: [String: Resident] = [:]

    /// One loaded model and what the scheduler knows of it.
    private struct Resident {
        let engine: Task<Engine, any Error>
        /// The name it was first loaded under.
        let name: String
        let memoryBytes: Int64
        var active = 0
        var lastUsed: Date
        /// Seconds to stay loaded once idle; negative: forever.
        var keepAlive: TimeInterval
        /// Unload was asked for: it goes as soon as it is idle, whatever its requests said.
        var unloading = false

        var expiresAt: Date? {
            if active > 0 { return nil }
            if unloading { return .distantPast }
            return keepAlive < 0 ? nil : lastUsed.addingTimeInterval(keepAlive)
        }
    }

    public init(store: ModelStore, options: EngineOptions, keepAlive: TimeInterval = 300, maxMemoryBytes: Int64 = .max) {
        self.store = store
        self.options = options
        self.keepAlive = keepAlive
        self.maxMemoryBytes = maxMemoryBytes
    }

    /// Loads `model` (a store name or a file path) and keeps it loaded until it is unloaded
    /// explicitly. File paths are served only once loaded this way, by whoever runs the
    /// server, never by a request.
    /// - Throws: `HearthError.modelNotFound`, or `.modelLoadFailed` when the file is unusable.
    @discardableResult
    public func load(_ model: String) async throws -> Engine {
        let (engine, path) = try await acquire(model, allowingPaths: true, keepAlive: -1)
        release(path, keepAlive: -1)
        return engine
    }

    public func preload(_ model: String, keepAlive: TimeInterval?) async throws {
        let (_, path) = try await acquire(model, allowingPaths: false, keepAlive: keepAlive)
        release(path, keepAlive: keepAlive)
    }

    /// Unloads `model` now if it is loaded and idle (else as soon as its requests end).
    /// - Returns: whether it was loaded.
    @discardableResult
    public func unload(_ model: String) async -> Bool {
        guard let path = loadedPath(model) else { return false }
        models[path]?.unloading = true
        await evictExpired(now: Date())
        return true
    }

    /// Unloads every idle model whose keep-alive has passed by `now`. The server calls it
    /// every second; tests call it with any time they like.
    public func evictExpired(now: Date) async {
        for (path, resident) in models {
            if let expiry = resident.expiresAt, expiry <= now { await remove(path) }
        }
    }

    private func loadedPath(_ model: String) -> String? {
        if let path = loadedUnderName(model) { return path }
        return (try? store.resolve(model)).map(\.path).flatMap { models[$0] == nil ? nil : $0 }
    }

    /// The file of a model loaded under this name, found without reading the store (the
    /// hot path of every request to a loaded model).
    private func loadedUnderName(_ model: String) -> String? {
        let name = ModelStore.canonicalName(model)
        return models.first(where: { $0.value.name == name })?.key
    }

    /// The engine for `model`, loading it first when needed, counted as in use until `release`.
    private func acquire(_ model: String, allowingPaths: Bool, keepAlive: TimeInterval?) async throws -> (Engine, String) {
        let loaded = loadedUnderName(model)
        guard allowingPaths || !ModelStore.isPath(model) || loaded != nil else { throw HearthError.modelNotFound(model) }
        let path = try loaded ?? store.resolve(model).path
        if models[path] == nil {
            // A truncated or corrupt file is a clear error, before llama.cpp sees it.
            let metadata = try ModelMetadata.read(URL(filePath: path))
            let memory = metadata.memoryEstimate(contextTokens: options.contextPerSequence * options.parallel)
            try await makeRoom(for: memory, model: model)
            if models[path] == nil {  // another request may have started loading it meanwhile
                let options = options
                models[path] = Resident(
                    engine: Task { try await Engine.load(path: path, options: options) }, name: ModelStore.canonicalName(model),
                    memoryBytes: memory,
                    lastUsed: Date(), keepAlive: self.keepAlive)
            }
        }
        models[path]!.active += 1
        if let keepAlive { models[path]!.keepAlive = keepAlive }
        do {
            return (try await models[path]!.engine.value, path)
        } catch {
            models[path] = nil
            throw error
        }
    }

    /// Ends one use of the model at `path`; unloads it at once when its keep-alive is 0.
    private func release(_ path: String, keepAlive: TimeInterval?) {
        guard var resident = models[path] else { return }
        resident.active -= 1
        resident.lastUsed = Date()
        if let keepAlive { resident.keepAlive = keepAlive }
        models[path] = resident
        if resident.expiresAt.map({ $0 <= Date() }) == true {
            Task { await self.evictExpired(now: Date()) }
        }
    }

    /// Unloads idle models, least recently used first, until `bytes` more fit the budget.
    /// - Throws: `HearthError.modelLoadFailed` when the model is larger than the budget;
    ///   `.queueFull` when only busy models could make room.
    private func makeRoom(for bytes: Int64, model: String) async throws {
        guard bytes <= maxMemoryBytes else {
            throw HearthError(
                .modelLoadFailed,
                "\(model) needs about \(bytes / 1_000_000) MB with this context, more than the memory budget of \(maxMemoryBytes / 1_000_000) MB (HEARTH_MAX_MEMORY)"
            )
        }
        while models.values.reduce(0, { $0 + $1.memoryBytes }) + bytes > maxMemoryBytes {
            guard let (path, _) = models.filter({ $0.value.active == 0 }).min(by: { $0.value.lastUsed < $1.value.lastUsed }) else {
                throw HearthError(.queueFull, "not enough memory to load \(model) while the loaded models are busy; retry shortly")
            }
            await remove(path)
        }
    }

    private func remove(_ path: String) async {
        guard let resident = models.removeValue(forKey: path) else { return }
        if let engine = try? await resident.engine.value { await engine.shutdown() }
    }

    public func loadedModels() async -> [LoadedModel] {
        var result: [LoadedModel] = []
        for resident in models.values {
            guard let engine = try? await resident.engine.value else { continue }
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
        for resident in models.values where ModelStore.isPath(resident.name) {
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
        let tokens = engine.generate(request.prompt, params: request.params, template: request.template)
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

    public func embed(_ request: EmbeddingRequest) async throws -> EmbeddingResult {
        let (engine, path) = try await acquire(request.model, allowingPaths: false, keepAlive: request.keepAlive)
        defer { release(path, keepAlive: request.keepAlive) }
        return try await engine.embed(request.inputs)
    }

    /// Stops every engine and forgets it.
    public func shutdown() async {
        for path in models.keys { await remove(path) }
    }
}
