/// How replicas tell each other that something they keep a copy of has changed (a key revoked,
/// a user disabled), so that each drops its copy at once instead of when it expires. One
/// server alone needs none; replicas sharing Redis use its publish and subscribe.
public protocol ChangeNotices: Sendable {
    /// Tells every replica, this one included, that `topic` changed.
    func announce(_ topic: String) async
    /// Calls `heard` on each announcement of `topic` from now on, and whenever announcements
    /// may have been missed (a connection lost and found again).
    func listen(to topic: String, _ heard: @escaping @Sendable () -> Void) async throws
}
