import Foundation

/// One answered request that used a model, as usage accounting keeps it.
public struct UsageRecord: Sendable, Equatable {
    public var time: Date
    /// The user, nil for the operator's static keys and an open server.
    public var userID: Int64?
    public var keyID: String?
    public var model: String
    public var promptTokens: Int
    public var completionTokens: Int
    public var milliseconds: Double
    public var status: Int

    public init(
        time: Date, userID: Int64?, keyID: String?, model: String, promptTokens: Int, completionTokens: Int, milliseconds: Double,
        status: Int
    ) {
        self.time = time
        self.userID = userID
        self.keyID = keyID
        self.model = model
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.milliseconds = milliseconds
        self.status = status
    }
}

/// Usage summed over a group of records.
public struct UsageTotal: Sendable, Equatable {
    /// The group's value: a day (`2026-12-01`), a model, a key id or a user name.
    public var group: String
    public var requests: Int
    public var promptTokens: Int
    public var completionTokens: Int

    public init(group: String, requests: Int, promptTokens: Int, completionTokens: Int) {
        self.group = group
        self.requests = requests
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}

/// How usage is summed.
public enum UsageGrouping: String, Sendable, CaseIterable {
    case day, model, key, user
}

/// Where usage records are kept.
public protocol UsageStore: Sendable {
    func record(_ records: [UsageRecord]) async throws
    /// Totals since `since`, of one user or of everyone (nil), by `grouping`, largest first.
    func totals(userID: Int64?, since: Date, by grouping: UsageGrouping) async throws -> [UsageTotal]
    /// Prompt and completion tokens since `since` of one user, or one key (nil: any).
    func tokens(userID: Int64?, keyID: String?, since: Date) async throws -> Int
}
