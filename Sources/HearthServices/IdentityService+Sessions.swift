import Crypto
import CryptoExtras
import Foundation
import HearthCore

/// Passwords (scrypt) and sign-in sessions for people: `POST /hearth/auth/login` gives a
/// short-lived `hts_…` token that works as a bearer key until it expires or is logged out.
extension IdentityService {
    /// How long a session lasts.
    public static let sessionLifetime: TimeInterval = 12 * 3600
    /// What every session token starts with.
    public static let sessionPrefix = "hts_"

    /// Sets a user's password: an administrator anyone's, a user their own.
    /// - Throws: `HearthError.notFound` for another's (asked by a user) or an unknown user;
    ///   `.invalidRequest` for a password shorter than 8 characters.
    public func setPassword(_ password: String, user name: String, by principal: Principal) async throws {
        guard principal.isAdmin || principal.user?.name == name else { throw Self.userNotFound(name) }
        guard password.count >= 8, password.utf8.count <= 1024 else {
            throw HearthError.invalidRequest("a password has 8 to 1024 characters", field: "password")
        }
        let encoded = try await onOwnThread("hearth-scrypt") { try PasswordHash.encode(password) }
        guard try await requireStore().setPassword(encoded, user: name) else { throw Self.userNotFound(name) }
        try await record(principal.name, "user.password", target: name)
    }

    /// Signs `name` in; returns a session token (shown once) and its expiry. Failures are
    /// slowed down per account and per address, and recorded in the audit log.
    /// - Throws: `HearthError.unauthorized` for a wrong name or password (the same answer for
    ///   both), or a disabled user; `.rateLimited` with `retryAfter` while guesses are slowed.
    public func login(_ name: String, password: String, address: String?) async throws -> (token: String, user: User, expiresAt: Date) {
        let store = try requireStore()
        let subjects = ["user:" + name, "address:" + (address ?? "-")]
        try refuseWhileThrottled(subjects)
        let found = try await store.password(of: name)
        // Without a user or a password, hash anyway: the answer takes as long either way.
        let matches = try await onOwnThread("hearth-scrypt") { PasswordHash.verify(password, against: found?.1) }
        guard matches, let user = found?.0, !user.disabled else {
            throttle.withLock { $0.failed(subjects, now: now()) }
            try await record(
                name.count <= 64 ? name : "anonymous", "auth.login.failed", target: name.count <= 64 ? name : "-", address: address)
            throw HearthError(.unauthorized, "wrong user name or password")
        }
        throttle.withLock { $0.succeeded(subjects[0]) }
        let token = Self.sessionPrefix + Self.randomToken(bytes: 32)
        let expiresAt = now().addingTimeInterval(Self.sessionLifetime)
        try await store.createSession(hash: hash(token), userID: user.id, expiresAt: expiresAt, keyHash: nil)
        try await record(name, "auth.login", target: name, address: address)
        return (token, user, expiresAt)
    }

    /// Signs in with an API key (the web UI's other way in): a session with the key's user and
    /// the key's limits, models and collections, which ends when the key is revoked or expires.
    /// Failures are slowed down per address and recorded, as for passwords.
    /// - Throws: `HearthError.unauthorized` for a key that is not a valid stored key (static
    ///   operator keys open no sessions); `.rateLimited` with `retryAfter` while guesses are slowed.
    public func login(key: String, address: String?) async throws -> (token: String, user: User, expiresAt: Date) {
        let store = try requireStore()
        let subjects = ["address:" + (address ?? "-")]
        try refuseWhileThrottled(subjects)
        let keyHash = hash(key)
        guard key.hasPrefix(Self.keyPrefix), let (stored, user) = try await store.key(hash: keyHash), stored.isValid(at: now()),
            !user.disabled
        else {
            throttle.withLock { $0.failed(subjects, now: now()) }
            try await record("anonymous", "auth.login.failed", target: "key", address: address)
            throw HearthError(.unauthorized, "invalid API key")
        }
        let token = Self.sessionPrefix + Self.randomToken(bytes: 32)
        let expiresAt = min(now().addingTimeInterval(Self.sessionLifetime), stored.expiresAt ?? .distantFuture)
        try await store.createSession(hash: hash(token), userID: user.id, expiresAt: expiresAt, keyHash: keyHash)
        try await record(user.name, "auth.login", target: stored.id, address: address)
        return (token, user, expiresAt)
    }

    /// - Throws: `HearthError.rateLimited` with `retryAfter` while failed sign-ins of any of
    ///   `subjects` (an account, an address) slow the next one down.
    private func refuseWhileThrottled(_ subjects: [String]) throws {
        guard let wait = throttle.withLock({ $0.wait(for: subjects, now: now()) }) else { return }
        let seconds = Int(wait.rounded(.up))
        throw HearthError(.rateLimited, "too many failed sign-ins; retry in \(seconds) s", retryAfter: seconds)
    }

    /// Ends the session `token` stands for.
    /// - Throws: `HearthError.unauthorized` when it is no session.
    public func logout(_ token: String) async throws {
        guard token.hasPrefix(Self.sessionPrefix), try await requireStore().deleteSession(hash: hash(token)) else {
            throw HearthError(.unauthorized, "not signed in with a session")
        }
        // Sessions are read from the store on every request: no replica has one to forget.
    }

    /// The principal of a live session token, nil when it is none.
    func sessionPrincipal(_ token: String) async throws -> Principal? {
        guard token.hasPrefix(Self.sessionPrefix), let store,
            let (user, expiresAt, keyHash) = try await store.session(hash: hash(token)), expiresAt > now(), !user.disabled
        else { return nil }
        guard let keyHash else { return Principal(user: user, role: user.role) }
        // Opened with a key: it has the key's limits, and ends when the key does.
        guard let (key, _) = try await store.key(hash: keyHash), key.isValid(at: now()) else { return nil }
        return Principal(user: user, role: user.role, key: key)
    }
}

/// Passwords as scrypt hashes: `scrypt$N$r$p$SALT$HASH` (base64), compared in constant time.
enum PasswordHash {
    static let (rounds, blockSize, parallelism) = (1 << 15, 8, 1)

    static func encode(_ password: String) throws -> String {
        let salt = Data((0..<16).map { _ in UInt8.random(in: 0...255) })
        let key = try derive(password, salt: salt, rounds: rounds, blockSize: blockSize, parallelism: parallelism)
        return "scrypt$\(rounds)$\(blockSize)$\(parallelism)$\(salt.base64EncodedString())$\(key.base64EncodedString())"
    }

    /// Whether `password` matches `encoded`; hashes a dummy when there is nothing to match.
    static func verify(_ password: String, against encoded: String?) -> Bool {
        let parts = encoded?.split(separator: "$").map(String.init) ?? []
        guard parts.count == 6, parts[0] == "scrypt", let n = Int(parts[1]), let r = Int(parts[2]), let p = Int(parts[3]),
            let salt = Data(base64Encoded: parts[4]), let expected = Data(base64Encoded: parts[5])
        else {
            _ = try? derive(password, salt: Data(count: 16), rounds: rounds, blockSize: blockSize, parallelism: parallelism)
            return false
        }
        guard let key = try? derive(password, salt: salt, rounds: n, blockSize: r, parallelism: p), key.count == expected.count else {
            return false
        }
        return IdentityService.constantTimeEqual(Array(key), Array(expected))
    }

    private static func derive(_ password: String, salt: Data, rounds: Int, blockSize: Int, parallelism: Int) throws -> Data {
        try KDF.Scrypt.deriveKey(
            from: Data(password.utf8), salt: salt, outputByteCount: 32, rounds: rounds, blockSize: blockSize, parallelism: parallelism
        ).withUnsafeBytes { Data($0) }
    }
}
