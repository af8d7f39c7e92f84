import Foundation
import HTTPTypes
import HearthCore
import HearthServices
import Hummingbird
import NIOCore

/// Finds out once per request who is asking (`Authorization: Bearer KEY`, else a browser's
/// `hearth_session` cookie, through the identity service), holds the request to its key's
/// limits, and puts the principal in the context for every route; `/health` and the web UI's
/// files (`/`, `/ui/…`) need no key. An
/// open server (loopback, no keys, no users) lets everyone in as `local`.
struct AuthMiddleware: RouterMiddleware {
    let identity: IdentityService
    let limits: LimitService

    func handle(
        _ request: Request, context: HearthRequestContext, next: (Request, HearthRequestContext) async throws -> Response
    ) async throws -> Response {
        // The web UI's page and files are public: the page signs in through the API.
        let path = request.uri.path
        if path == "/health" || path == "/" || path.hasPrefix("/ui/") { return try await next(request, context) }
        // Signing in is how a person without a key gets one; a page of another site may not
        // sign a browser in (to an account of the attacker's choosing).
        if path == "/hearth/auth/login" {
            if let origin = request.headers[.origin], !Self.isSameOrigin(origin, as: request.head.authority) {
                throw HearthError(.forbidden, "sign in from a page of this server, or from a client that sends no Origin")
            }
            return try await next(request, context)
        }
        var context = context
        context.principal = try await principal(of: request, on: context.channel)
        RequestRecord.current?.record(principal: context.principal)
        guard let permit = try await limits.admit(context.principal) else { return try await next(request, context) }
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            await permit.release()
            throw error
        }
        // A stream runs until its body is written: its place is given back then.
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            do {
                try await body.write(writer)
            } catch {
                await permit.release()
                throw error
            }
            await permit.release()
        }
        return response
    }

    /// Who sends `request` (arrived on `channel`).
    /// - Throws: `HearthError.unauthorized` or `.forbidden` (see `credential(of:)`).
    func principal(of request: Request, on channel: any Channel) async throws -> Principal {
        let credential = try Self.credential(of: request)
        let principal = try await identity.authenticate(bearer: credential, address: channel.remoteAddress?.ipAddress)
        // A web page can make a browser send requests to 127.0.0.1: an open server answers
        // only those from a loopback page or from no page at all (curl, SDKs, the CLI).
        if principal == .local, let origin = request.headers[.origin], !Self.isLoopbackOrigin(origin) {
            throw HearthError(.forbidden, "an open server takes no requests from web pages; create a user and use a key")
        }
        return principal
    }

    /// Whether a browser's `Origin` is a page served from this machine.
    static func isLoopbackOrigin(_ origin: String) -> Bool {
        guard let host = URL(string: origin)?.host() else { return false }
        return host == "localhost" || host == "127.0.0.1" || host == "[::1]" || host == "::1"
    }

    /// Whether a browser's `Origin` is the server the request was sent to (`authority`,
    /// `host[:port]`; without a port, the default of the origin's scheme, as behind a proxy).
    static func isSameOrigin(_ origin: String, as authority: String?) -> Bool {
        guard let url = URL(string: origin), let originHost = url.host(), let authority,
            let target = URL(string: "\(url.scheme ?? "http")://\(authority)"), let host = target.host()
        else { return false }
        let defaultPort = url.scheme == "https" ? 443 : 80
        return originHost.lowercased() == host.lowercased() && (url.port ?? defaultPort) == (target.port ?? defaultPort)
    }

    /// The token a request presents: the one of `Authorization: Bearer TOKEN` (nil for another
    /// scheme) or, only when there is no `Authorization` header, the session token of the
    /// `hearth_session` cookie.
    /// - Throws: `HearthError.forbidden` for a request signed in by the cookie alone that may
    ///   change something (not GET or HEAD) and lacks `X-Hearth-CSRF: 1`.
    static func credential(of request: Request) throws -> String? {
        if let header = request.headers[.authorization] { return bearer(header) }
        guard let token = try SessionCookie.token(in: request.headers[.cookie]) else { return nil }
        // A page on another site can make the browser send a form (with its cookies) but not a
        // custom header: one signed in by cookie must show the header to change anything.
        let safe = request.method == .get || request.method == .head
        guard safe || request.headers[SessionCookie.csrfHeader] == "1" else {
            throw HearthError(
                .forbidden,
                "a \(request.method.rawValue) signed in by the hearth_session cookie alone needs the header 'X-Hearth-CSRF: 1' "
                    + "(scripts and other clients send 'Authorization: Bearer TOKEN' instead)")
        }
        return token
    }

    /// The token of an `Authorization: Bearer TOKEN` header, nil for any other scheme.
    static func bearer(_ header: String) -> String? {
        header.hasPrefix("Bearer ") ? String(header.dropFirst("Bearer ".count)) : nil
    }
}

/// The browser's session cookie, `hearth_session`: `POST /hearth/auth/login` sets it, logout
/// clears it, and `AuthMiddleware` takes it when a request has no `Authorization` header.
enum SessionCookie {
    /// The cookie's name.
    static let name = "hearth_session"
    /// The header a request signed in by the cookie alone must carry (`1`) to use a method other
    /// than GET or HEAD: a cross-site form cannot send custom headers.
    static var csrfHeader: HTTPField.Name { HTTPField.Name("X-Hearth-CSRF")! }

    /// A `Set-Cookie` value that gives the browser `token` for `maxAge` seconds: out of reach of
    /// scripts (`HttpOnly`) and never sent with a request another site starts (`SameSite=Strict`).
    static func setting(_ token: String, maxAge: Int) -> String {
        // No `Secure`: Hearth speaks plain HTTP (on loopback, or behind a proxy that adds TLS),
        // and a browser keeps no Secure cookie that came over plain HTTP.
        "\(name)=\(token); HttpOnly; SameSite=Strict; Path=/; Max-Age=\(maxAge)"
    }

    /// A `Set-Cookie` value that makes the browser drop the cookie.
    static var cleared: String {
        "\(name)=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"
    }

    /// The session token of a `Cookie` header (`a=1; hearth_session=hts_…; b=2`, spaces or not,
    /// several headers joined by `; `), nil when there is none. Only session tokens (`hts_…`)
    /// are taken from a cookie, never API keys.
    /// - Throws: `HearthError.unauthorized` for several `hearth_session` cookies (a page on
    ///   another port of the same host may have added one: which is whose cannot be told).
    static func token(in header: String?) throws -> String? {
        guard let header else { return nil }
        var found: [String] = []
        for pair in header.split(separator: ";") {
            guard let equals = pair.firstIndex(of: "=") else { continue }
            guard pair[..<equals].trimmingCharacters(in: .whitespaces) == name else { continue }
            var value = pair[pair.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            found.append(value)
        }
        guard found.count <= 1 else {
            throw HearthError(.unauthorized, "the request carries several hearth_session cookies; sign out and in again")
        }
        let prefix = IdentityService.sessionPrefix
        guard let value = found.first, value.hasPrefix(prefix), value.count > prefix.count, value.utf8.count <= 256 else { return nil }
        return value
    }
}
