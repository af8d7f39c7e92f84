import Synchronization

/// How the current request's generation is routed: whether the client wants a fresh answer
/// (`Cache-Control: no-cache`, set by the server), which provider served it (set by the
/// router, or `cache`) and which failed on the way, read back for the response's
/// `X-Hearth-Provider` header and the metrics.
public final class RoutingChoice: Sendable {
    /// The choice of the request the current task serves, if any.
    @TaskLocal public static var current: RoutingChoice?

    /// No answer from the cache.
    public let wantsFreshAnswer: Bool
    private let chosen = Mutex<String?>(nil)
    private let failed = Mutex<[(provider: String, code: String)]>([])

    public init(wantsFreshAnswer: Bool = false) { self.wantsFreshAnswer = wantsFreshAnswer }

    public var provider: String? { chosen.withLock { $0 } }

    public func record(_ provider: String) { chosen.withLock { $0 = provider } }

    /// Deployments that failed before their first token, in order, with the error's code.
    public var failures: [(provider: String, code: String)] { failed.withLock { $0 } }

    public func recordFailure(_ provider: String, _ error: HearthError) {
        failed.withLock { $0.append((provider, error.code.description)) }
    }
}
