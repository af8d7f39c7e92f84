import Synchronization

/// Which provider served the current request's generation, filled in by the router and
/// read by the server for the response's `X-Hearth-Provider` header and its log line.
public final class RoutingChoice: Sendable {
    /// The choice of the request the current task serves, if any.
    @TaskLocal public static var current: RoutingChoice?

    private let chosen = Mutex<String?>(nil)

    public init() {}

    public var provider: String? { chosen.withLock { $0 } }

    public func record(_ provider: String) { chosen.withLock { $0 = provider } }
}
