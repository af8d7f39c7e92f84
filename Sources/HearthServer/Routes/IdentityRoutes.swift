import Foundation
import HearthCore
import HearthServices
import HearthWire
import Hummingbird

/// `/hearth/users`, `/hearth/keys` and `/hearth/usage`: administrators manage users;
/// everyone manages their own API keys and sees their own usage (an administrator, everyone's).
struct IdentityRoutes: Sendable {
    let identity: IdentityService
    let usage: UsageService
    let maxBodyBytes: Int

    func add(to router: Router<HearthRequestContext>) {
        router.get("/hearth/users") { _, context in
            try json(IdentityWire.UserList(try await identity.users(by: context.principal)))
        }
        router.post("/hearth/users") { request, context in
            let wire = try await request.decode(IdentityWire.CreateUser.self, upTo: maxBodyBytes)
            let user = try await identity.createUser(wire.name, role: try wire.nativeRole(), by: context.principal)
            return try json(IdentityWire.User(user), status: .created)
        }
        router.post("/hearth/users/{name}/disable") { _, context in
            try json(
                IdentityWire.User(try await identity.setDisabled(true, user: try context.parameters.segment("name"), by: context.principal))
            )
        }
        router.put("/hearth/users/{name}/limits") { request, context in
            let wire = try await request.decode(IdentityWire.Limits.self, upTo: maxBodyBytes)
            let user = try await identity.setLimits(wire.native, user: try context.parameters.segment("name"), by: context.principal)
            return try json(IdentityWire.User(user))
        }
        router.post("/hearth/users/{name}/enable") { _, context in
            try json(
                IdentityWire.User(
                    try await identity.setDisabled(false, user: try context.parameters.segment("name"), by: context.principal)))
        }

        router.get("/hearth/usage") { request, context in
            let query = request.uri.queryParameters
            let grouping =
                try query.get("by").map { name in
                    guard let grouping = UsageGrouping(rawValue: String(name)) else {
                        throw HearthError.invalidRequest("'by' is day, model, key or user", field: "by")
                    }
                    return grouping
                } ?? .day
            let days =
                try query.get("days").map { text in
                    guard let days = Double(String(text)) else {
                        throw HearthError.invalidRequest("'days' must be a number", field: "days")
                    }
                    return days
                } ?? 30
            let totals = try await usage.totals(
                days: days, by: grouping, user: query.get("user").map { String($0) }, identity: identity, principal: context.principal)
            return try json(IdentityWire.UsageReport(by: grouping.rawValue, days: days, totals: totals))
        }
        router.post("/hearth/auth/login") { request, context in
            let wire = try await request.decode(IdentityWire.Login.self, upTo: maxBodyBytes)
            let address = context.channel.remoteAddress?.ipAddress
            let session: (token: String, user: User, expiresAt: Date)
            switch (wire.name, wire.password, wire.key) {
            case (let name?, let password?, nil): session = try await identity.login(name, password: password, address: address)
            case (nil, nil, let key?): session = try await identity.login(key: key, address: address)
            default: throw HearthError.invalidRequest("sign in with 'name' and 'password', or with 'key'")
            }
            var response = try json(IdentityWire.Session(token: session.token, user: session.user, expiresAt: session.expiresAt))
            // The same token as a cookie, for the web UI.
            response.headers[.setCookie] = SessionCookie.setting(session.token, maxAge: Int(IdentityService.sessionLifetime))
            return response
        }
        router.get("/hearth/auth/me") { request, context in
            let credential = try AuthMiddleware.credential(of: request)
            let via =
                context.principal == .local
                ? "open" : credential?.hasPrefix(IdentityService.sessionPrefix) == true ? "session" : "key"
            return try json(IdentityWire.Me(context.principal, via: via))
        }
        router.post("/hearth/auth/logout") { request, _ in
            // The token the middleware let in: the bearer's, or the cookie's (with X-Hearth-CSRF).
            try await identity.logout(try AuthMiddleware.credential(of: request) ?? "")
            return Response(status: .noContent, headers: [.setCookie: SessionCookie.cleared])
        }
        router.post("/hearth/users/{name}/password") { request, context in
            let wire = try await request.decode(IdentityWire.SetPassword.self, upTo: maxBodyBytes)
            let name = try context.parameters.segment("name")
            try await identity.setPassword(wire.password, user: name, by: context.principal)
            return try json(IdentityWire.PasswordSet(user: name))
        }
        router.get("/hearth/audit") { request, context in
            let query = request.uri.queryParameters
            let days = query.get("days").flatMap { Double(String($0)) } ?? 7
            let limit = query.get("limit").flatMap { Int(String($0)) } ?? 100
            let events = try await identity.auditEvents(days: days, limit: limit, by: context.principal)
            return try json(IdentityWire.AuditLog(events))
        }
        router.get("/hearth/keys") { _, context in
            let keys = try await identity.keys(by: context.principal)
            let names = try await userNames(context.principal)
            return try json(IdentityWire.KeyList(keys: keys.map { IdentityWire.Key($0, user: names[$0.userID] ?? "") }))
        }
        router.post("/hearth/keys") { request, context in
            let wire = try await request.decode(IdentityWire.CreateKey.self, upTo: maxBodyBytes)
            let (key, secret) = try await identity.createKey(
                for: wire.user, label: wire.label ?? "", expiresIn: wire.expiresInDays.map { $0 * 86_400 }, models: wire.models,
                collections: wire.collections,
                limits: wire.limits, by: context.principal)
            let owner = try await userNames(context.principal)[key.userID] ?? wire.user ?? ""
            return try json(IdentityWire.Key(key, user: owner, secret: secret), status: .created)
        }
        router.delete("/hearth/keys/{id}") { _, context in
            let key = try await identity.revokeKey(try context.parameters.segment("id"), by: context.principal)
            return try json(IdentityWire.Key(key, user: try await userNames(context.principal)[key.userID] ?? ""))
        }
    }

    /// User names by id, as far as `principal` may see them.
    private func userNames(_ principal: Principal) async throws -> [Int64: String] {
        guard principal.isAdmin else { return principal.user.map { [$0.id: $0.name] } ?? [:] }
        return Dictionary(uniqueKeysWithValues: try await identity.users(by: principal).map { ($0.id, $0.name) })
    }
}
