import Crypto
import Foundation
import HearthCore
import Synchronization

/// Who may call the server: API keys (the static operator keys of `HEARTH_API_KEYS`, and
/// `hth_…` keys that belong to users, kept as an HMAC of their secret under a server
/// secret), and what each principal may manage.
///
/// A server bound to loopback with no static key and no user is open: every request is the
/// `local` principal. As soon as a user exists (or a key is configured, or the bind is not
/// loopback) every request needs a key.
public final class IdentityService: Sendable {
    let store: (any IdentityStore)?
    /// Where changes to users and keys, and refused keys, are recorded.
    let audit: (any AuditStore)?
    /// When each address last had a refused key recorded (one record per address per 10 s,
    /// so that a flood of bad keys cannot flood the log).
    private let refusals = Mutex<[String: Date]>([:])
    /// Failed sign-ins by account and address.
    let throttle = Mutex(LoginThrottle())
    let secret: SymmetricKey
    private let staticKeys: [[UInt8]]
    private let loopbackOnly: Bool
    let now: @Sendable () -> Date
    /// Set once a user has been seen: from then on the server is never open again.
    private let hasUsers = Atomic<Bool>(false)
    /// Keys found recently, by hash, so that a request costs no database read: emptied by
    /// every change made here or announced by another replica (`notices`), and never older
    /// than `cacheLifetime` (a change made by another process on the same database).
    private let recent = Mutex(RecentKeys())
    static let cacheLifetime: TimeInterval = 2
    /// How replicas sharing the store hear of each other's changes; nil: one server alone.
    private let notices: (any ChangeNotices)?
    /// When the store last said it has no user: trusted for a second, so that an open server
    /// reads no database per request (a bootstrap by another process closes it within that).
    private let openSince = Mutex<Date?>(nil)

    /// - Parameters:
    ///   - store: where users and keys live; nil: only the static keys (or an open server).
    ///   - secret: the server's key for hashing API keys (`IdentityService.secret(at:)`).
    public init(
        store: (any IdentityStore)? = nil, audit: (any AuditStore)? = nil, secret: SymmetricKey = SymmetricKey(size: .bits256),
        staticKeys: [String] = [], loopbackOnly: Bool = true, notices: (any ChangeNotices)? = nil,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.notices = notices
        self.audit = audit
        self.secret = secret
        self.staticKeys = staticKeys.map { Array($0.utf8) }
        self.loopbackOnly = loopbackOnly
        self.now = now
    }

    /// The server secret kept in `file` (32 random bytes, mode 600), created when missing.
    /// - Throws: `HearthError.internalError` when it cannot be read or written.
    public static func secret(at file: URL) throws -> SymmetricKey {
        if FileManager.default.fileExists(atPath: file.path) {
            // Never replaced: a new secret would silently invalidate every key.
            guard let data = try? Data(contentsOf: file), data.count == 32 else {
                throw HearthError(.internalError, "the server secret is unreadable or damaged; restore it from a backup", detail: file.path)
            }
            return SymmetricKey(data: data)
        }
        let key = SymmetricKey(size: .bits256)
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            let data = key.withUnsafeBytes { Data($0) }
            guard FileManager.default.createFile(atPath: file.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw HearthError(.internalError, "cannot create the server secret", detail: file.path)
            }
        } catch let error as HearthError {
            throw error
        } catch {
            throw HearthError(.internalError, "cannot create the server secret", detail: "\(file.path): \(error)")
        }
        return key
    }

    // MARK: - Authentication

    /// The principal a request's bearer token stands for.
    /// - Throws: `HearthError.unauthorized` for a missing, unknown, revoked or expired key, or
    ///   a disabled user's, once the server is not open.
    public func authenticate(bearer: String?, address: String? = nil) async throws -> Principal {
        if let bearer {
            let presented = Array(bearer.utf8)
            if staticKeys.contains(where: { Self.constantTimeEqual($0, presented) }) { return .operator }
            if bearer.hasPrefix(Self.keyPrefix), let (key, user) = try await find(hash(bearer)), key.isValid(at: now()), !user.disabled {
                return Principal(user: user, role: user.role, key: key)
            }
            if let principal = try await sessionPrincipal(bearer) { return principal }
        }
        // Clients send some key whatever the server (the OpenAI SDK insists on one): an open
        // server takes any.
        if try await isOpen() { return .local }
        if bearer != nil { try await recordRefusal(address: address) }
        throw HearthError(
            .unauthorized, bearer == nil ? "missing API key: send 'Authorization: Bearer KEY'" : "invalid API key")
    }

    /// Records a refused key, at most once per address per 10 s.
    private func recordRefusal(address: String?) async throws {
        let time = now()
        let key = address ?? "-"
        let due = refusals.withLock { refusals in
            if let last = refusals[key], time.timeIntervalSince(last) < 10 { return false }
            // However many addresses guess, at most 60 records a minute.
            refusals = refusals.filter { time.timeIntervalSince($0.value) < 60 }
            guard refusals.count < 60 else { return false }
            refusals[key] = time
            return true
        }
        if due { try await record("anonymous", "auth.refused", target: "-", address: address) }
    }

    /// Appends to the audit log, when there is one.
    func record(_ actor: String, _ action: String, target: String, address: String? = nil) async throws {
        try await audit?.append(AuditEvent(time: now(), actor: actor, action: action, target: target, address: address))
    }

    /// The audit log of the last `days` days, newest first (administrators).
    /// - Throws: `HearthError.forbidden` for a user.
    public func auditEvents(days: Double, limit: Int, by principal: Principal) async throws -> [AuditEvent] {
        try Self.requireAdmin(principal)
        guard let audit else { throw HearthError(.unavailable, "this server keeps no audit log") }
        guard days > 0, (1...10_000).contains(limit) else {
            throw HearthError.invalidRequest("'days' must be positive and 'limit' 1 to 10000", field: "limit")
        }
        return try await audit.auditEvents(since: now().addingTimeInterval(-days * 86_400), limit: limit)
    }

    /// Keys found recently, and how many times they were forgotten.
    private struct RecentKeys {
        var keys: [Data: (key: APIKey, user: User, until: Date)] = [:]
        var forgotten = 0
    }

    /// The key with this hash and its user, from the recent ones or the store.
    private func find(_ hash: Data) async throws -> (APIKey, User)? {
        let time = now()
        let (hit, forgotten) = recent.withLock { ($0.keys[hash], $0.forgotten) }
        if let hit, hit.until > time { return (hit.key, hit.user) }
        guard let store, let (key, user) = try await store.key(hash: hash) else { return nil }
        recent.withLock { recent in
            // Forgotten while the store was read: what was read may be from before the change.
            guard recent.forgotten == forgotten else { return }
            if recent.keys.count >= 10_000 { recent.keys = [:] }
            recent.keys[hash] = (key, user, time.addingTimeInterval(Self.cacheLifetime))
        }
        return (key, user)
    }

    /// Forgets the recent keys.
    private func forgetRecent() {
        recent.withLock { recent in
            recent.keys = [:]
            recent.forgotten += 1
        }
    }

    /// After a change to users or keys: forgets the recent keys, and tells the other replicas to.
    func changed() async {
        forgetRecent()
        await notices?.announce(Self.noticeTopic)
    }

    /// Forgets the recent keys whenever another replica announces a change, from now until the
    /// notices end.
    /// - Throws: what listening throws (the notices cannot be reached).
    public func followChanges() async throws {
        try await notices?.listen(to: Self.noticeTopic) { [weak self] in self?.forgetRecent() }
    }

    static let noticeTopic = "identity"

    /// Whether requests need no key: loopback only, no static key, no user.
    public func isOpen() async throws -> Bool {
        guard loopbackOnly, staticKeys.isEmpty, !hasUsers.load(ordering: .relaxed) else { return false }
        guard let store else { return true }
        let time = now()
        if let checked = openSince.withLock({ $0 }), time.timeIntervalSince(checked) < 1 { return true }
        guard try await store.userCount() > 0 else {
            openSince.withLock { $0 = time }
            return true
        }
        hasUsers.store(true, ordering: .relaxed)
        return false
    }

    // MARK: - Users

    /// - Throws: `HearthError.forbidden` unless `principal` is an admin; `.invalidRequest`
    ///   for a bad or taken name.
    public func createUser(_ name: String, role: Role, by principal: Principal) async throws -> User {
        try Self.requireAdmin(principal)
        let user = try await requireStore().createUser(User(name: name, role: role, createdAt: now()))
        hasUsers.store(true, ordering: .relaxed)
        try await record(principal.name, "user.create", target: "\(name) (\(role.rawValue))")
        return user
    }

    /// - Throws: `HearthError.forbidden` unless `principal` is an admin.
    public func users(by principal: Principal) async throws -> [User] {
        try Self.requireAdmin(principal)
        return try await requireStore().users()
    }

    /// Sets what all of a user's requests together may use.
    /// - Throws: `HearthError.forbidden` unless `principal` is an admin; `.notFound`; `.invalidRequest` for a limit below 1.
    @discardableResult
    public func setLimits(_ limits: Limits, user name: String, by principal: Principal) async throws -> User {
        try Self.requireAdmin(principal)
        try limits.validate()
        let store = try requireStore()
        guard try await store.setLimits(limits, user: name), let user = try await store.user(named: name) else {
            throw Self.userNotFound(name)
        }
        await changed()
        try await record(principal.name, "user.limits", target: name)
        return user
    }

    /// The ids of these users (`*`: everyone, `KnowledgeCollection.everyone`).
    /// - Throws: `HearthError.notFound` for an unknown user.
    func ids(of names: [String]) async throws -> [Int64] {
        var ids: [Int64] = []
        for name in names {
            if name == "*" {
                ids.append(KnowledgeCollection.everyone)
            } else {
                guard let user = try await requireStore().user(named: name) else { throw Self.userNotFound(name) }
                ids.append(user.id)
            }
        }
        return ids
    }

    /// The names of these users (`*` for everyone), leaving out ids no longer known.
    func names(of ids: [Int64]) async throws -> [String] {
        var names: [String] = []
        for id in ids {
            if id == KnowledgeCollection.everyone {
                names.append("*")
            } else if let user = try await store?.user(id: id) {
                names.append(user.name)
            }
        }
        return names
    }

    /// Disables (or enables again) a user: a disabled user's keys are refused.
    /// - Throws: `HearthError.forbidden` unless `principal` is an admin; `.notFound`.
    @discardableResult
    public func setDisabled(_ disabled: Bool, user name: String, by principal: Principal) async throws -> User {
        try Self.requireAdmin(principal)
        let store = try requireStore()
        guard try await store.setDisabled(disabled, user: name), let user = try await store.user(named: name) else {
            throw Self.userNotFound(name)
        }
        await changed()
        try await record(principal.name, disabled ? "user.disable" : "user.enable", target: name)
        return user
    }

    /// Creates the first administrator and a key for it, on a store without users (the
    /// `hearth admin bootstrap` of a fresh data folder). Returns the key's secret, shown once.
    /// - Throws: `HearthError.invalidRequest` when users exist already.
    public func bootstrap(admin name: String) async throws -> (User, APIKey, String) {
        let store = try requireStore()
        // Counted and created in one transaction: two bootstraps at once make one admin.
        guard let user = try await store.createFirstUser(User(name: name, role: .admin, createdAt: now())) else {
            throw HearthError.invalidRequest("users exist already: an admin creates the others (`hearth users add`)")
        }
        hasUsers.store(true, ordering: .relaxed)
        let (key, secret) = try await issueKey(
            for: user, label: "bootstrap", expiresIn: nil, models: nil, collections: nil)
        try await record(name, "admin.bootstrap", target: "\(name), \(key.id)")
        return (user, key, secret)
    }

    // MARK: - Keys

    /// Issues a key for `userName` (default: the principal's own user). Users issue keys for
    /// themselves only. Returns the key's record and its secret, shown once.
    /// - Throws: `HearthError.notFound` for an unknown user (or another's, asked by a user);
    ///   `.invalidRequest` for a principal without a user and no `userName`.
    public func createKey(
        for userName: String?, label: String, expiresIn: TimeInterval?, models: [String]?, collections: [String]?,
        limits: Limits = Limits(), by principal: Principal
    ) async throws -> (APIKey, String) {
        let store = try requireStore()
        let user: User
        if let userName {
            guard let found = try await store.user(named: userName), principal.isAdmin || found.id == principal.user?.id else {
                throw Self.userNotFound(userName)
            }
            user = found
        } else if let own = principal.user, own.id > 0 {
            user = own
        } else {
            throw HearthError.invalidRequest("name the user the key is for", field: "user")
        }
        if let expiresIn, !(1...(36_500 * 86_400)).contains(expiresIn) {
            throw HearthError.invalidRequest("a key's lifetime is 1 s to 100 years", field: "expires_in_days")
        }
        try limits.validate()
        var (expiresIn, models, collections, limits) = (expiresIn, models, collections, limits)
        // A key that makes a key for its own user passes its restrictions on: no key gets
        // more than the key that made it.
        if let parent = principal.key, parent.userID == user.id {
            if let until = parent.expiresAt {
                let left = until.timeIntervalSince(now())
                expiresIn = min(expiresIn ?? left, left)
            }
            if let allowed = parent.models { models = (models ?? allowed).filter(allowed.contains) }
            if let allowed = parent.collections { collections = (collections ?? allowed).filter(allowed.contains) }
            limits = limits.capped(by: parent.limits)
        }
        let issued = try await issueKey(
            for: user, label: label, expiresIn: expiresIn, models: models, collections: collections, limits: limits)
        try await record(principal.name, "key.create", target: "\(issued.0.id) for \(user.name)")
        return issued
    }

    /// The principal's own keys; every key for an admin.
    public func keys(by principal: Principal) async throws -> [APIKey] {
        try await requireStore().keys(userID: principal.isAdmin ? nil : principal.user?.id ?? -1)
    }

    /// Revokes a key at once and returns it. A user may revoke only their own; another's
    /// answers not found.
    /// - Throws: `HearthError.notFound`.
    @discardableResult
    public func revokeKey(_ id: String, by principal: Principal) async throws -> APIKey {
        let store = try requireStore()
        let date = now()
        let visible = try await store.keys(userID: principal.isAdmin ? nil : principal.user?.id ?? -1)
        guard var key = visible.first(where: { $0.id == id }), try await store.revokeKey(id: id, at: date) else {
            throw HearthError(.notFound, "key '\(id.prefix(40))' not found")
        }
        key.revokedAt = date
        await changed()
        try await record(principal.name, "key.revoke", target: id)
        return key
    }

    private func issueKey(
        for user: User, label: String, expiresIn: TimeInterval?, models: [String]?, collections: [String]?, limits: Limits = Limits()
    ) async throws -> (APIKey, String) {
        let secret = Self.keyPrefix + Self.randomToken(bytes: 32)
        let key = APIKey(
            id: "key_" + Self.randomToken(bytes: 12), userID: user.id,
            label: String(label.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) }.prefix(200)),
            prefix: String(secret.prefix(Self.keyPrefix.count + 6)), createdAt: now(),
            expiresAt: expiresIn.map { now().addingTimeInterval($0) }, models: models, collections: collections, limits: limits)
        try await requireStore().createKey(key, hash: hash(secret))
        return (key, secret)
    }

    // MARK: - Helpers

    /// What every Hearth API key starts with.
    public static let keyPrefix = "hth_"

    /// HMAC-SHA256 of the key under the server secret: useless without the secret, and
    /// deterministic, so that a key is found by its hash.
    func hash(_ key: String) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data(key.utf8), using: secret))
    }

    func requireStore() throws -> any IdentityStore {
        guard let store else { throw HearthError(.unavailable, "this server keeps no users or keys") }
        return store
    }

    /// - Throws: `HearthError.forbidden` unless `principal` is an admin.
    public static func requireAdmin(_ principal: Principal) throws {
        guard principal.isAdmin else { throw HearthError(.forbidden, "only an administrator may do this") }
    }

    static func userNotFound(_ name: String) -> HearthError {
        HearthError(.notFound, "user '\(name.prefix(64))' not found", field: "user")
    }

    /// `bytes` random bytes as URL-safe base64 without padding.
    static func randomToken(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let data = Data((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
