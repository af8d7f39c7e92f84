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
}
