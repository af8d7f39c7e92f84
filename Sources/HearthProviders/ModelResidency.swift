import Foundation
import HearthCore

/// Which loaded models stay and which go: keep-alive expiry and memory-budget eviction as a
/// plain value that is told the time, tested without models. `LocalProvider` keeps one and
/// does what it decides.
public struct ModelResidency: Sendable {
    /// A loaded (or loading) model, by the file it was loaded from.
    public struct Model: Sendable, Equatable {
        /// The name it was first loaded under.
        public let name: String
        public let memoryBytes: Int64
        /// Requests using it now.
        public var active = 0
        public var lastUsed: Date
        /// Seconds to stay loaded once idle; negative: forever.
        public var keepAlive: TimeInterval
        /// Unload was asked for: it goes as soon as it is idle, whatever its requests said.
        public var unloading = false

        /// When it is to be unloaded; nil while in use or kept forever.
        public var expiresAt: Date? {
            if active > 0 { return nil }
            if unloading { return .distantPast }
            return keepAlive < 0 ? nil : lastUsed.addingTimeInterval(keepAlive)
        }
    }

    /// Memory all loaded models may take together.
    public let budget: Int64
    public private(set) var models: [String: Model] = [:]

    public init(budget: Int64) { self.budget = budget }

    /// Records a model being loaded from `path`, idle until `begin`.
    public mutating func add(_ path: String, name: String, memoryBytes: Int64, keepAlive: TimeInterval, now: Date) {
        models[path] = Model(name: name, memoryBytes: memoryBytes, lastUsed: now, keepAlive: keepAlive)
    }

    public mutating func remove(_ path: String) { models[path] = nil }

    /// One more request uses the model at `path`; its keep-alive becomes the request's, if it says one.
    public mutating func begin(_ path: String, keepAlive: TimeInterval?) {
        models[path]?.active += 1
        if let keepAlive { models[path]?.keepAlive = keepAlive }
    }

    /// A request has finished with the model at `path`. Returns whether it has expired at
    /// once (a keep-alive of 0, or an unload waiting for it).
    public mutating func end(_ path: String, keepAlive: TimeInterval?, now: Date) -> Bool {
        guard var model = models[path] else { return false }
        model.active = max(0, model.active - 1)
        model.lastUsed = now
        if let keepAlive { model.keepAlive = keepAlive }
        models[path] = model
        return model.expiresAt.map { $0 <= now } ?? false
    }

    /// Asks for the model at `path` to go as soon as it is idle.
    public mutating func markUnloading(_ path: String) { models[path]?.unloading = true }

    /// The idle models whose keep-alive has passed by `now`.
    public func expired(at now: Date) -> [String] {
        models.filter { $0.value.expiresAt.map { $0 <= now } ?? false }.map(\.key).sorted()
    }

    /// The idle models to unload, least recently used first, so that `bytes` more fit the budget.
    /// - Throws: `HearthError.modelLoadFailed` when `bytes` alone exceed the budget;
    ///   `.queueFull` when only busy models could make room. `model` names the one to load.
    public func evictions(toFit bytes: Int64, for model: String) throws -> [String] {
        guard bytes <= budget else {
            throw HearthError(
                .modelLoadFailed,
                "\(model) needs about \(bytes / 1_000_000) MB with this context, more than the memory budget of \(budget / 1_000_000) MB (HEARTH_MAX_MEMORY)"
            )
        }
        var used = models.values.reduce(0) { $0 + $1.memoryBytes }
        var chosen: [String] = []
        let idle = models.filter { $0.value.active == 0 }.sorted { $0.value.lastUsed < $1.value.lastUsed }
        for (path, resident) in idle where used + bytes > budget {
            chosen.append(path)
            used -= resident.memoryBytes
        }
        guard used + bytes <= budget else {
            throw HearthError(.queueFull, "not enough memory to load \(model) while the loaded models are busy; retry shortly")
        }
        return chosen
    }
}
