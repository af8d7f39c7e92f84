import Hummingbird
import NIOCore

/// What every Hearth handler knows of its request beyond the request itself: Hummingbird's
/// core context (logger, parameters) and the connection it came on, so that a request can
/// notice its client leaving (`ClientWatcher`).
public struct HearthRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
