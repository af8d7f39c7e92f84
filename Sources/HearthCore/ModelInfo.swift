import Foundation

/// What Hearth knows about a model without running it.
public struct ModelInfo: Sendable, Equatable, Codable {
    /// The name clients use: `name:tag` from the store, or the file path given.
    public var id: String
    /// Which provider serves it (`local`, or a remote provider's name).
    public var provider: String
    /// Seconds since 1970 when the model was added, for `/v1/models`' `created`.
    public var created: Int
    /// Size on disk in bytes, when known.
    public var size: Int64?

    public init(id: String, provider: String, created: Int, size: Int64? = nil) {
        self.id = id
        self.provider = provider
        self.created = created
        self.size = size
    }
}

/// A model that is loaded and serving, with what it is doing now.
public struct LoadedModel: Sendable, Equatable {
    public var name: String
    public var provider: String
    public var activity: ModelActivity
    /// Estimated memory: weights plus KV cache.
    public var memoryBytes: Int64
    /// When it will be unloaded if no request comes; nil while busy or when it stays loaded.
    public var expiresAt: Date?

    public init(name: String, provider: String, activity: ModelActivity, memoryBytes: Int64 = 0, expiresAt: Date? = nil) {
        self.name = name
        self.provider = provider
        self.activity = activity
        self.memoryBytes = memoryBytes
        self.expiresAt = expiresAt
    }
}
