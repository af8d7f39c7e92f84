import Foundation
import HearthCore
import HearthServices
import Hummingbird

/// Finds out once per request who is asking (`Authorization: Bearer KEY`, through the
/// identity service), holds the request to its key's limits, and puts the principal in the
/// context for every route; `/health` needs no key. An open server (loopback, no keys, no
/// users) lets everyone in as `local`.
struct AuthMiddleware: RouterMiddleware {
    let identity: IdentityService
    let limits: LimitService

    func handle(
        _ request: Request, context: HearthRequestContext, next: (Request, HearthRequestContext) async throws -> Response
    ) async throws -> Response {
        // Signing in is how a person without a key gets one.
        if request.uri.path == "/health" || request.uri.path == "/hearth/auth/login" { return try await next(request, context) }
        let header = request.headers[.authorization]
        let bearer = header.flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst("Bearer ".count)) : nil }
        var context = context
        context.principal = try await identity.authenticate(bearer: bearer, address: context.channel.remoteAddress?.ipAddress)
        // A web page can make a browser send requests to 127.0.0.1: an open server answers
        // only those from a loopback page or from no page at all (curl, SDKs, the CLI).
        if context.principal == .local, let origin = request.headers[.origin], !Self.isLoopbackOrigin(origin) {
            throw HearthError(.forbidden, "an open server takes no requests from web pages; create a user and use a key")
        }
        RequestRecord.current?.record(principal: context.principal)
        guard let permit = try limits.admit(context.principal) else { return try await next(request, context) }
        var response = try await next(request, context)
        // A stream runs until its body is written: its place is given back then.
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            defer { permit.release() }
            try await body.write(writer)
        }
        return response
    }

    /// Whether a browser's `Origin` is a page served from this machine.
    static func isLoopbackOrigin(_ origin: String) -> Bool {
        guard let host = URL(string: origin)?.host() else { return false }
        return host == "localhost" || host == "127.0.0.1" || host == "[::1]" || host == "::1"
    }
}
