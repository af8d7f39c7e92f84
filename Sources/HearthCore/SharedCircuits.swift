import Foundation

/// Where replicas share which deployments are cooling down (their circuit open), so that what
/// one replica learns of a failing provider spares the others the same failures. One server
/// alone needs none; replicas sharing Redis keep them there.
public protocol SharedCircuits: Sendable {
    /// Tells every replica that the deployment `key` (`provider/model`) is left alone until `until`.
    func opened(_ key: String, until: Date) async
    /// Tells every replica that `key` answers again.
    func closed(_ key: String) async
    /// Calls `apply` with every deployment cooling down (key → until): at once, on each change,
    /// and whenever changes may have been missed.
    func follow(_ apply: @escaping @Sendable ([String: Date]) -> Void) async throws
}
