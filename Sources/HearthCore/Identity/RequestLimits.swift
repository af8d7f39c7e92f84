import Foundation

/// The request limits of API keys, as a value told the time: requests per minute as a token
/// bucket per key (it holds up to the limit and refills at the limit per 60 s, so no minute
/// ever admits more than the limit plus what refilled in it), and requests running at once.
/// A request is admitted whole or not at all: both checks pass before either counts.
public struct RequestLimits: Sendable {
    /// What one key may do; nil: no limit.
    public struct Limit: Sendable, Equatable {
        public var requestsPerMinute: Int?
        public var concurrent: Int?

        public init(requestsPerMinute: Int? = nil, concurrent: Int? = nil) {
            self.requestsPerMinute = requestsPerMinute
            self.concurrent = concurrent
        }

        public var isNone: Bool { requestsPerMinute == nil && concurrent == nil }
    }

    /// Why a request was refused, and when to retry.
    public enum Refusal: Equatable, Sendable {
        case requestsPerMinute(retryAfter: TimeInterval)
        case concurrent
    }

    private var buckets: [String: (tokens: Double, updated: Date)] = [:]
    private var running: [String: Int] = [:]

    public init() {}

    /// Admits one request of `key` at `now`, or says why not. An admitted request holds one
    /// of the key's concurrent places until `finish(_:)`.
    public mutating func admit(_ key: String, _ limit: Limit, now: Date) -> Refusal? {
        if let concurrent = limit.concurrent, running[key, default: 0] >= concurrent { return .concurrent }
        if let perMinute = limit.requestsPerMinute {
            let rate = Double(max(0, perMinute)) / 60
            var bucket = buckets[key] ?? (Double(perMinute), now)
            bucket.tokens = min(Double(perMinute), bucket.tokens + max(0, now.timeIntervalSince(bucket.updated)) * rate)
            bucket.updated = now
            guard bucket.tokens >= 1 else {
                buckets[key] = bucket
                return .requestsPerMinute(retryAfter: rate > 0 ? (1 - bucket.tokens) / rate : 60)
            }
            bucket.tokens -= 1
            buckets[key] = bucket
        }
        if limit.concurrent != nil { running[key, default: 0] += 1 }
        return nil
    }

    /// An admitted request of `key` with a concurrency limit has ended.
    public mutating func finish(_ key: String) {
        guard let count = running[key] else { return }
        running[key] = count > 1 ? count - 1 : nil
    }
}
