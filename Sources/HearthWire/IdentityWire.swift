import Foundation
import HearthCore

/// `/hearth/users` and `/hearth/keys`: users, and API keys shown without their secret.
public enum IdentityWire {
    public struct User: Codable, Sendable, Equatable {
        public var name: String
        public var role: String
        public var disabled: Bool
        public var createdAt: Int
        /// What all of the user's requests together may use; absent: no limit.
        public var limits: Limits?

        enum CodingKeys: String, CodingKey {
            case name, role, disabled, limits
            case createdAt = "created_at"
        }

        public init(_ user: HearthCore.User) {
            name = user.name
            role = user.role.rawValue
            disabled = user.disabled
            createdAt = Int(user.createdAt.timeIntervalSince1970)
            limits = user.limits.isNone ? nil : Limits(user.limits)
        }
    }

    /// A user's limits (`PUT /hearth/users/{name}/limits`; absent fields: no limit).
    public struct Limits: Codable, Sendable, Equatable {
        public var requestsPerMinute: Int?
        public var tokensPerMinute: Int?
        public var concurrent: Int?
        public var tokensPerDay: Int?
        public var tokensPerMonth: Int?

        enum CodingKeys: String, CodingKey {
            case concurrent
            case requestsPerMinute = "requests_per_minute", tokensPerMinute = "tokens_per_minute"
            case tokensPerDay = "tokens_per_day", tokensPerMonth = "tokens_per_month"
        }

        public init(_ limits: HearthCore.Limits) {
            requestsPerMinute = limits.requestsPerMinute
            tokensPerMinute = limits.tokensPerMinute
            concurrent = limits.concurrent
            tokensPerDay = limits.tokensPerDay
            tokensPerMonth = limits.tokensPerMonth
        }

        public var native: HearthCore.Limits {
            HearthCore.Limits(
                requestsPerMinute: requestsPerMinute, tokensPerMinute: tokensPerMinute, concurrent: concurrent, tokensPerDay: tokensPerDay,
                tokensPerMonth: tokensPerMonth)
        }
    }

    public struct UserList: Codable, Sendable {
        public var users: [User]
        public init(_ users: [HearthCore.User]) { self.users = users.map(User.init) }
    }

    /// `POST /hearth/users`.
    public struct CreateUser: Codable, Sendable {
        public var name: String
        /// `admin` or `user` (default).
        public var role: String?

        public init(name: String, role: String? = nil) {
            self.name = name
            self.role = role
        }

        /// - Throws: `HearthError.invalidRequest` for an unknown role.
        public func nativeRole() throws -> Role {
            guard let role else { return .user }
            guard let known = Role(rawValue: role) else {
                throw HearthError.invalidRequest("'role' must be admin or user", field: "role")
            }
            return known
        }
    }

    /// An API key as listed: its id, owner, label and the first characters of its secret.
    public struct Key: Codable, Sendable, Equatable {
        public var id: String
        public var user: String
        public var label: String
        public var prefix: String
        public var createdAt: Int
        public var expiresAt: Int?
        public var revokedAt: Int?
        public var models: [String]?
        public var collections: [String]?
        public var requestsPerMinute: Int?
        public var concurrent: Int?
        public var tokensPerMinute: Int?
        public var tokensPerDay: Int?
        public var tokensPerMonth: Int?
        /// The secret, only in the answer that created the key.
        public var key: String?

        enum CodingKeys: String, CodingKey {
            case id, user, label, prefix, models, collections, key, concurrent
            case createdAt = "created_at", expiresAt = "expires_at", revokedAt = "revoked_at"
            case requestsPerMinute = "requests_per_minute", tokensPerMinute = "tokens_per_minute"
            case tokensPerDay = "tokens_per_day", tokensPerMonth = "tokens_per_month"
        }

        public init(_ key: APIKey, user: String, secret: String? = nil) {
            id = key.id
            self.user = user
            label = key.label
            prefix = key.prefix
            createdAt = Int(key.createdAt.timeIntervalSince1970)
            expiresAt = key.expiresAt.map { Int($0.timeIntervalSince1970) }
            revokedAt = key.revokedAt.map { Int($0.timeIntervalSince1970) }
            models = key.models
            collections = key.collections
            requestsPerMinute = key.limits.requestsPerMinute
            concurrent = key.limits.concurrent
            tokensPerMinute = key.limits.tokensPerMinute
            tokensPerDay = key.limits.tokensPerDay
            tokensPerMonth = key.limits.tokensPerMonth
            self.key = secret
        }
    }

    /// `GET /hearth/usage`: totals by day, model, key or user.
    public struct UsageReport: Codable, Sendable {
        public struct Total: Codable, Sendable, Equatable {
            public var group: String
            public var requests: Int
            public var promptTokens: Int
            public var completionTokens: Int

            enum CodingKeys: String, CodingKey {
                case group, requests
                case promptTokens = "prompt_tokens", completionTokens = "completion_tokens"
            }
        }

        public var by: String
        public var days: Double
        public var totals: [Total]

        public init(by: String, days: Double, totals: [UsageTotal]) {
            self.by = by
            self.days = days
            self.totals = totals.map {
                Total(group: $0.group, requests: $0.requests, promptTokens: $0.promptTokens, completionTokens: $0.completionTokens)
            }
        }
    }

    /// `GET /hearth/audit`: the newest events first.
    public struct AuditLog: Codable, Sendable {
        public struct Event: Codable, Sendable, Equatable {
            public var time: Double
            public var actor: String
            public var action: String
            public var target: String
            public var address: String?
        }

        public var events: [Event]

        public init(_ events: [AuditEvent]) {
            self.events = events.map {
                Event(time: $0.time.timeIntervalSince1970, actor: $0.actor, action: $0.action, target: $0.target, address: $0.address)
            }
        }
    }

    /// `POST /hearth/auth/login`.
    /// `POST /hearth/auth/login`: a name and password, or an API key.
    public struct Login: Codable, Sendable {
        public var name: String?
        public var password: String?
        public var key: String?

        public init(name: String, password: String) {
            self.name = name
            self.password = password
        }

        public init(key: String) {
            self.key = key
        }
    }

    /// The answer of a sign-in: a session token, shown once, and when it expires.
    public struct Session: Codable, Sendable {
        public var token: String
        public var user: String
        public var role: String
        public var expiresAt: Int

        enum CodingKeys: String, CodingKey {
            case token, user, role
            case expiresAt = "expires_at"
        }

        public init(token: String, user: HearthCore.User, expiresAt: Date) {
            self.token = token
            self.user = user.name
            role = user.role.rawValue
            self.expiresAt = Int(expiresAt.timeIntervalSince1970)
        }
    }

    /// `GET /hearth/auth/me`: who the request's credential signs in as.
    public struct Me: Codable, Sendable {
        /// The user's name; `local` on an open server, `operator` for a static key.
        public var user: String
        public var role: String
        /// How: `open` (a loopback server without users or keys), `session`, `key`.
        public var via: String

        public init(_ principal: Principal, via: String) {
            user = principal.name
            role = principal.role.rawValue
            self.via = via
        }
    }

    /// `POST /hearth/users/{name}/password`.
    public struct SetPassword: Codable, Sendable {
        public var password: String
        public init(password: String) { self.password = password }
    }

    /// The answer of `POST /hearth/users/{name}/password`.
    public struct PasswordSet: Codable, Sendable {
        public var user: String
        public var passwordSet = true

        enum CodingKeys: String, CodingKey {
            case user
            case passwordSet = "password_set"
        }

        public init(user: String) { self.user = user }
    }

    public struct KeyList: Codable, Sendable {
        public var keys: [Key]
        public init(keys: [Key]) { self.keys = keys }
    }

    /// `POST /hearth/keys`.
    public struct CreateKey: Codable, Sendable {
        /// Whose key (default: the caller's own user).
        public var user: String?
        public var label: String?
        public var expiresInDays: Double?
        public var models: [String]?
        public var collections: [String]?
        /// Requests per minute the key may send (default: no limit).
        public var requestsPerMinute: Int?
        /// Requests of the key that may run at once (default: no limit).
        public var concurrent: Int?
        /// Prompt and completion tokens per minute, day (UTC) and month (default: no limit).
        public var tokensPerMinute: Int?
        public var tokensPerDay: Int?
        public var tokensPerMonth: Int?

        enum CodingKeys: String, CodingKey {
            case user, label, models, collections, concurrent
            case expiresInDays = "expires_in_days", requestsPerMinute = "requests_per_minute", tokensPerMinute = "tokens_per_minute"
            case tokensPerDay = "tokens_per_day", tokensPerMonth = "tokens_per_month"
        }

        /// The key's limits.
        public var limits: HearthCore.Limits {
            HearthCore.Limits(
                requestsPerMinute: requestsPerMinute, tokensPerMinute: tokensPerMinute, concurrent: concurrent, tokensPerDay: tokensPerDay,
                tokensPerMonth: tokensPerMonth)
        }

        public init(
            user: String? = nil, label: String? = nil, expiresInDays: Double? = nil, models: [String]? = nil, collections: [String]? = nil,
            limits: HearthCore.Limits = HearthCore.Limits()
        ) {
            requestsPerMinute = limits.requestsPerMinute
            concurrent = limits.concurrent
            tokensPerMinute = limits.tokensPerMinute
            tokensPerDay = limits.tokensPerDay
            tokensPerMonth = limits.tokensPerMonth
            self.user = user
            self.label = label
            self.expiresInDays = expiresInDays
            self.models = models
            self.collections = collections
        }
    }
}
