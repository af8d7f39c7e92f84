import HearthCore
import HearthServices
import Hummingbird

/// Finds out once per request who is asking (`Authorization: Bearer KEY`, through the
/// identity service) and puts the principal in the context for every route; `/health`
/// needs no key. An open server (loopback, no keys, no users) lets everyone in as `local`.
struct AuthMiddleware: RouterMiddleware {
    let identity: IdentityService

    func handle(
        _ request: Request, context: HearthRequestContext, next: (Request, HearthRequestContext) async throws -> Response
    ) async throws -> Response {
        if request.uri.path == "/health" { return try await next(request, context) }
        let header = request.headers[.authorization]
        let bearer = header.flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst("Bearer ".count)) : nil }
        var context = context
        context.principal = try await identity.authenticate(bearer: bearer)
        return try await next(request, context)
    }
}
