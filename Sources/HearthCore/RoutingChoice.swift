import Synchronization

/// How the current request's generation is routed: whether the client wants a fresh answer
/// (`Cache-Control: no-cache`, set by the server), and which provider served it (set by the
/// router, or `cache`), read back for the response's `X-Hearth-Provider` header.
public final class RoutingChoice: Sendable {
    /// The choice of the request the current task serves, if any.
    @TaskLocal public static var current: RoutingChoice?

    /// No answer from the cache.
    public let wantsFreshAnswer: Bool
    private let chosen = Mutex<String?>(nil)

    public init(wantsFreshAnswer: Bool = false) { self.wantsFreshAnswer = wantsFreshAnswer }

    public var provider: String? { chosen.withLock { $0 } }

    public func record(_ provider: String) { chosen.withLock { $0 = provider } }
}
