import Synchronization

/// How the current request's generation is routed: whether the client wants a fresh answer
/// (`Cache-Control: no-cache`, set by the server) or takes a similar question's, which provider served it (set by the
/// router, or `cache`) and which failed on the way, read back for the response's
/// `X-Hearth-Provider` header and the metrics.
public final class RoutingChoice: Sendable {
    /// The choice of the request the current task serves, if any.
    @TaskLocal public static var current: RoutingChoice?

    /// No answer from the cache.
    public let wantsFreshAnswer: Bool
    /// The answer to a question that means the same may do (`X-Hearth-Cache: semantic`).
    public let wantsSimilarAnswer: Bool
    private let chosen = Mutex<Deployment?>(nil)
    private let failed = Mutex<[(provider: String, code: String)]>([])
    private let rounds = Mutex(0)
    private let looked = Mutex<[(kind: String, hit: Bool)]>([])

    /// Where an answer came from: a provider, the model's name there, and how long its first
    /// event took from when it was asked (when the router measured it).
    public struct Deployment: Sendable, Equatable {
        public var provider: String
        public var model: String?
        public var firstTokenSeconds: Double?
    }

    public init(wantsFreshAnswer: Bool = false, wantsSimilarAnswer: Bool = false) {
        self.wantsFreshAnswer = wantsFreshAnswer
        self.wantsSimilarAnswer = wantsSimilarAnswer
    }

    public var provider: String? { chosen.withLock { $0?.provider } }
    public var deployment: Deployment? { chosen.withLock { $0 } }

    public func record(_ provider: String, model: String? = nil, firstTokenSeconds: Double? = nil) {
        chosen.withLock { $0 = Deployment(provider: provider, model: model, firstTokenSeconds: firstTokenSeconds) }
    }

    /// Rounds over the deployments after the first (a model's `retries`).
    public var retries: Int { rounds.withLock { $0 } }

    public func recordRetry() { rounds.withLock { $0 += 1 } }

    /// The answer caches' lookups for this request, in order: `exact` or `semantic`, and
    /// whether each found an answer.
    public var cacheLookups: [(kind: String, hit: Bool)] { looked.withLock { $0 } }

    public func recordCacheLookup(_ kind: String, hit: Bool) { looked.withLock { $0.append((kind, hit)) } }

    /// Deployments that failed before their first token, in order, with the error's code.
    public var failures: [(provider: String, code: String)] { failed.withLock { $0 } }

    public func recordFailure(_ provider: String, _ error: HearthError) {
        failed.withLock { $0.append((provider, error.code.description)) }
    }
}
