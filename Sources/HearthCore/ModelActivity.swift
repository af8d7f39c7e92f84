import Foundation

/// What a loaded model has done and is doing, for `/metrics`, `/hearth/status` and `hearth ps`.
/// A snapshot: counters only grow, gauges are the state when it was taken.
public struct ModelActivity: Sendable, Equatable {
    /// Upper bounds of the batch-size histogram's buckets, in tokens.
    public static let batchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]

    // Gauges
    public var activeSequences = 0
    public var queuedRequests = 0
    public var parallel = 0
    public var contextPerSequence = 0
    /// Prompt tokens evaluated per second over the last `rateWindow` seconds.
    public var promptTokensPerSecond = 0.0
    /// Tokens generated per second over the last `rateWindow` seconds (all sequences together).
    public var generationTokensPerSecond = 0.0

    // Counters
    /// Prompt tokens of every admitted request.
    public var promptTokens = 0
    /// Prompt tokens that were already in a sequence's KV cache and not evaluated again.
    public var promptTokensCached = 0
    public var generatedTokens = 0
    public var decodeSteps = 0
    /// Tokens prompt lookup guessed and sent to be checked, and those the model wrote too.
    public var draftTokens = 0
    public var draftTokensAccepted = 0
    /// What a guessed token costs, as a share of writing one token without guesses, as
    /// measured here (`HEARTH_PROMPT_LOOKUP=auto` guesses only where it pays); nil until measured.
    public var draftCostRatio: Double?
    /// Decode steps by batch size (tokens per step), bucketed by `batchBuckets`, plus overflow.
    public var batchSizeCounts = [Int](repeating: 0, count: ModelActivity.batchBuckets.count + 1)
    public var batchTokens = 0

    /// Seconds over which the token rates are measured.
    public static let rateWindow = 10.0

    public init() {}

    public mutating func recordStep(batchSize: Int) {
        decodeSteps += 1
        batchTokens += batchSize
        batchSizeCounts[Self.batchBuckets.firstIndex { batchSize <= $0 } ?? Self.batchBuckets.count] += 1
    }
}
