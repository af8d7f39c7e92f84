import Foundation
import HearthCore
import Synchronization

/// Enforces the request limits of API keys (`RequestLimits`): requests per minute and
/// requests running at once, checked once per request before any work.
public final class LimitService: Sendable {
    private let state = Mutex(RequestLimits())
    private let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date = Date.init) {
        self.now = now
    }

    /// Admits a request of `principal`. Returns the permit the request holds while it runs
    /// (nil when its key limits nothing at once): release it, or drop it, when the answer ends.
    /// - Throws: `HearthError.rateLimited` with `retryAfter` when a limit is reached.
    public func admit(_ principal: Principal) throws -> Permit? {
        guard let key = principal.key else { return nil }
        let limit = RequestLimits.Limit(requestsPerMinute: key.requestsPerMinute, concurrent: key.concurrent)
        guard !limit.isNone else { return nil }
        switch state.withLock({ $0.admit(key.id, limit, now: now()) }) {
        case .requestsPerMinute(let wait):
            throw HearthError(
                .rateLimited, "this key may send \(limit.requestsPerMinute ?? 0) requests per minute; retry in \(Int(wait.rounded(.up))) s",
                retryAfter: Int(wait.rounded(.up)))
        case .concurrent:
            throw HearthError(
                .rateLimited, "this key may run \(limit.concurrent ?? 0) requests at once; retry when one has ended", retryAfter: 1)
        case nil:
            guard limit.concurrent != nil else { return nil }
            return Permit { [self] in state.withLock { $0.finish(key.id) } }
        }
    }

    /// One admitted request's place among its key's concurrent ones, given back once.
    public final class Permit: Sendable {
        private let end: Mutex<(@Sendable () -> Void)?>

        init(_ end: @escaping @Sendable () -> Void) { self.end = Mutex(end) }

        public func release() { end.withLock { $0.take() }?() }

        deinit { release() }
    }
}
