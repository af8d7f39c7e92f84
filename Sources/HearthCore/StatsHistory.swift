import Foundation
import Synchronization

/// What each loaded model did over the last hour, kept in 10-second buckets (the most of each
/// figure within a bucket), so that a dashboard opened now draws the hour before it.
public final class StatsHistory: Sendable {
    public struct Sample: Sendable, Equatable {
        /// The start of the bucket.
        public var time: Date
        public var tokensPerSecond: Double
        public var activeSequences: Int
        public var queuedRequests: Int
    }

    public static let bucket: TimeInterval = 10
    public static let span: TimeInterval = 3_600
    private let samples = Mutex<[String: [Sample]]>([:])

    public init() {}

    /// Adds what `models` are doing at `time`.
    public func record(_ models: [LoadedModel], at time: Date) {
        let start = Date(timeIntervalSince1970: (time.timeIntervalSince1970 / Self.bucket).rounded(.down) * Self.bucket)
        samples.withLock { samples in
            for model in models {
                let activity = model.activity
                var series = samples[model.name] ?? []
                if let last = series.last, last.time == start {
                    series[series.count - 1].tokensPerSecond = max(last.tokensPerSecond, activity.generationTokensPerSecond)
                    series[series.count - 1].activeSequences = max(last.activeSequences, activity.activeSequences)
                    series[series.count - 1].queuedRequests = max(last.queuedRequests, activity.queuedRequests)
                } else {
                    series.append(
                        Sample(
                            time: start, tokensPerSecond: activity.generationTokensPerSecond, activeSequences: activity.activeSequences,
                            queuedRequests: activity.queuedRequests))
                }
                samples[model.name] = series
            }
            let oldest = time.addingTimeInterval(-Self.span)
            for (name, series) in samples {
                let kept = series.drop { $0.time < oldest }
                samples[name] = kept.isEmpty ? nil : Array(kept)
            }
        }
    }

    /// The last hour of each model `mayUse` accepts, by name.
    public func series(where mayUse: (String) -> Bool) -> [String: [Sample]] {
        samples.withLock { $0.filter { mayUse($0.key) } }
    }
}
