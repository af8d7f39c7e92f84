import HearthCore
import Hummingbird
import NIOCore

/// What every Hearth handler knows of its request beyond the request itself: Hummingbird's
/// core context (logger, parameters), the connection it came on, so that a request can
/// notice its client leaving (`ClientWatcher`), and who is asking (`AuthMiddleware`).
public struct HearthRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    public let channel: any Channel
    /// Who is asking; set by `AuthMiddleware` before any route runs.
    public var principal: Principal = .anonymous

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
