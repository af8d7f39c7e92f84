import Foundation
import HearthCore
import HearthEngine
import HearthModels

/// Serves models from the local store (or GGUF paths) with the in-process llama.cpp engine.
/// A model is loaded on first use, once, however many requests ask for it at the same time;
/// names that share a file (a copy, a profile and its base) share one engine.
public actor LocalProvider: InferenceProvider {
    public nonisolated let name = "local"
    public nonisolated let store: ModelStore
    public nonisolated let options: EngineOptions
    /// Engines by model file path.
    private var engines: [String: Task<Engine, any Error>] = [:]
    /// The name each engine was first loaded under, by file path.
    private var names: [String: String] = [:]

    public init(store: ModelStore, options: EngineOptions) {
        self.store = store
        self.options = options
    }

    /// The name a model is shown under: `name:tag` for store names, the path for files.
    public nonisolated static func key(_ model: String) -> String {
        ModelStore.isPath(model) ? model : ModelStore.canonical(model)
    }

    /// Loads `model` (a store name or a file path) if it is not loaded yet. File paths are
    /// served only once loaded this way, by whoever runs the server, never by a request.
    /// - Throws: `HearthError.modelNotFound`, or `.modelLoadFailed` when the file is unusable.
    @discardableResult
    public func load(_ model: String) async throws -> Engine {
        try await engine(for: model, allowingPaths: true)
    }

    /// The running engine for `model`, loading store models on first use.
    /// - Throws: `HearthError.modelNotFound`, or `.modelLoadFailed` when the file is unusable.
    public func engine(for model: String) async throws -> Engine {
        try await engine(for: model, allowingPaths: false)
    }

    private func engine(for model: String, allowingPaths: Bool) async throws -> Engine {
        let isPath = ModelStore.isPath(model)
        guard allowingPaths || !isPath || names.values.contains(model) else { throw HearthError.modelNotFound(model) }
        let file = try store.resolve(model)
        if let loading = engines[file.path] {
            return try await loading.value
        }
        _ = try GGUFFile.read(file, arrayLimit: 0)  // a truncated or corrupt file: a clear error, before llama.cpp sees it
        let options = options
        let loading = Task { try await Engine.load(path: file.path, options: options) }
        engines[file.path] = loading
        names[file.path] = Self.key(model)
        do {
            return try await loading.value
        } catch {
            engines[file.path] = nil
            names[file.path] = nil
            throw error
        }
    }

    /// Loaded models and their engines, by the name each was loaded under.
    public func loaded() async -> [(name: String, engine: Engine)] {
        var result: [(String, Engine)] = []
        for (path, task) in engines {
            if let engine = try? await task.value { result.append((names[path] ?? path, engine)) }
        }
        return result.sorted { $0.0 < $1.0 }
    }

    public func loadedModels() async -> [LoadedModel] {
        await loaded().map {
            LoadedModel(name: $0.name, provider: name, activity: $0.engine.activity)
        }
    }

    public func models() async throws -> [ModelInfo] {
        var infos = try store.list().map {
            ModelInfo(id: $0.name, provider: name, created: Int($0.modified.timeIntervalSince1970), size: $0.size)
        }
        for path in names.values.sorted() where ModelStore.isPath(path) {
            infos.append(ModelInfo(id: path, provider: name, created: 0, size: nil))
        }
        return infos
    }

    public func serves(_ model: String) async -> Bool {
        ModelStore.isPath(model) ? names.values.contains(model) : (try? store.resolve(model)) != nil
    }

    public func generate(_ request: GenerationRequest) async throws -> AsyncThrowingStream<TokenEvent, any Error> {
        try await engine(for: request.model).generate(request.prompt, params: request.params, template: request.template)
    }

    public func embed(_ request: EmbeddingRequest) async throws -> EmbeddingResult {
        try await engine(for: request.model).embed(request.inputs)
    }

    /// Stops every engine and forgets it.
    public func shutdown() async {
        let all = engines
        engines = [:]
        names = [:]
        for task in all.values {
            if let engine = try? await task.value { await engine.shutdown() }
        }
    }
}
