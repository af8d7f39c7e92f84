import Foundation

/// What a principal may do: admins manage users, keys and models and see everything;
/// users chat, embed and use what is theirs.
public enum Role: String, Sendable, Codable, CaseIterable {
    case admin, user
}

/// A person or service that signs in or holds API keys.
public struct User: Sendable, Equatable, Codable {
    public var id: Int64
    /// Unique; letters, digits, '.', '_', '-', '@' (1–64).
    public var name: String
    public var role: Role
    /// A disabled user's keys are refused.
    public var disabled: Bool
    public var createdAt: Date
    /// What all of the user's requests together may use (each key may have tighter limits).
    public var limits: Limits

    public init(id: Int64 = 0, name: String, role: Role, disabled: Bool = false, createdAt: Date = Date(), limits: Limits = Limits()) {
        self.limits = limits
        self.id = id
        self.name = name
        self.role = role
        self.disabled = disabled
        self.createdAt = createdAt
    }

    /// - Throws: `HearthError.invalidRequest` for a name outside the allowed set.
    public static func validate(name: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")
        guard (1...64).contains(name.count), name.allSatisfy(allowed.contains) else {
            throw HearthError.invalidRequest(
                "a user name is 1 to 64 letters, digits, '.', '_', '-' or '@'", field: "name")
        }
    }
}

/// An API key as stored: never the key itself, only its hash and what it may do.
public struct APIKey: Sendable, Equatable, Codable {
    /// Public id (`key_…`), used to list and revoke it.
    public var id: String
    public var userID: Int64
    public var label: String
    /// The key's first characters (`hth_AbC1…`), so that people can tell keys apart.
    public var prefix: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?
    /// Models this key may use; nil: all.
    public var models: [String]?
    /// Collections this key may use; nil: all its user's.
    public var collections: [String]?
    /// What this key's requests may use (its user's limits apply too).
    public var limits: Limits

    public init(
        id: String, userID: Int64, label: String, prefix: String, createdAt: Date = Date(), expiresAt: Date? = nil,
        revokedAt: Date? = nil, models: [String]? = nil, collections: [String]? = nil, limits: Limits = Limits()
    ) {
        self.limits = limits
        self.id = id
        self.userID = userID
        self.label = label
        self.prefix = prefix
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.models = models
        self.collections = collections
    }

    /// Whether the key works at `now`: not revoked, not expired.
    public func isValid(at now: Date) -> Bool {
        revokedAt == nil && (expiresAt.map { now < $0 } ?? true)
    }
}

/// Who is asking, as the server's middleware found out once per request and every service
/// is told.
public struct Principal: Sendable, Equatable {
    /// The user, nil for the server's own operator keys and for an open server.
    public var user: User?
    public var role: Role
    /// The key the request came with, if it came with a stored one.
    public var key: APIKey?

    public init(user: User?, role: Role, key: APIKey? = nil) {
        self.user = user
        self.role = role
        self.key = key
    }

    public var isAdmin: Bool { role == .admin }

    /// For logs: the user's name, `operator` for a static key, `local` for an open server,
    /// `anonymous` before authentication.
    public var name: String { user?.name ?? (role == .admin ? "local" : "anonymous") }

    /// A request to a server with no users and no keys, on loopback: it may do anything.
    public static let local = Principal(user: nil, role: .admin)
    /// Who a request is before authentication (the routes that need none): no rights.
    public static let anonymous = Principal(user: nil, role: .user)
    /// A request with one of the static keys of `HEARTH_API_KEYS`: an administrator.
    public static let `operator` = Principal(user: User(id: -1, name: "operator", role: .admin), role: .admin)
}

/// Where users and API keys are kept (SQLite by default).
public protocol IdentityStore: Sendable {
    /// - Throws: `HearthError.invalidRequest` when the name is taken.
    func createUser(_ user: User) async throws -> User
    /// Creates `user` only when no user exists, in one transaction (the first administrator).
    /// - Returns: nil when users exist already.
    func createFirstUser(_ user: User) async throws -> User?
    func users() async throws -> [User]
    func user(named name: String) async throws -> User?
    func user(id: Int64) async throws -> User?
    /// - Returns: whether the user exists.
    func setDisabled(_ disabled: Bool, user name: String) async throws -> Bool
    /// - Returns: whether the user exists.
    func setLimits(_ limits: Limits, user name: String) async throws -> Bool
    func userCount() async throws -> Int

    /// Stores a key under the hash of its secret.
    func createKey(_ key: APIKey, hash: Data) async throws
    /// The key with this secret hash and its user.
    func key(hash: Data) async throws -> (APIKey, User)?
    /// Sets (or clears, with nil) a user's encoded password. Returns whether the user exists.
    func setPassword(_ encoded: String?, user name: String) async throws -> Bool
    /// The user and their encoded password, if the user exists.
    func password(of name: String) async throws -> (User, String?)?
    /// Stores a sign-in session under the hash of its token; `keyHash` binds it to the API key
    /// it was opened with (nil: a password's).
    func createSession(hash: Data, userID: Int64, expiresAt: Date, keyHash: Data?) async throws
    /// The session with this token hash: its user, expiry and key.
    func session(hash: Data) async throws -> (user: User, expiresAt: Date, keyHash: Data?)?
    /// - Returns: whether such a session existed.
    func deleteSession(hash: Data) async throws -> Bool

    /// The keys of one user, or all when nil, newest first.
    func keys(userID: Int64?) async throws -> [APIKey]
    /// - Returns: whether a key with that id existed and was not yet revoked.
    func revokeKey(id: String, at date: Date) async throws -> Bool
}

/// Something done to users or keys, or a refused sign-in, as the audit log keeps it.
public struct AuditEvent: Sendable, Equatable {
    public var time: Date
    /// Who did it: a user name, `operator`, `local`, or `anonymous` for a refused key.
    public var actor: String
    /// What: `admin.bootstrap`, `user.create`, `user.disable`, `user.enable`, `key.create`,
    /// `key.revoke`, `auth.refused`.
    public var action: String
    /// To what: a user name or a key id (never a secret).
    public var target: String
    /// The client's address, when known.
    public var address: String?

    public init(time: Date, actor: String, action: String, target: String, address: String? = nil) {
        self.time = time
        self.actor = actor
        self.action = action
        self.target = target
        self.address = address
    }
}

/// Where the audit log is kept.
public protocol AuditStore: Sendable {
    func append(_ event: AuditEvent) async throws
    /// The newest events first, at most `limit`, since `since`.
    func auditEvents(since: Date, limit: Int) async throws -> [AuditEvent]
}
