import HearthCore
import Hummingbird

/// Requires `Authorization: Bearer KEY` with one of the configured keys on every route
/// but `/health`. Keys are compared in constant time.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let keys: [[UInt8]]

    init(keys: [String]) {
        self.keys = keys.map { Array($0.utf8) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/health" { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw APIError(HearthError(.unauthorized, "missing API key: send 'Authorization: Bearer KEY'"))
        }
        let presented = Array(header.dropFirst("Bearer ".count).utf8)
        guard keys.contains(where: { Self.constantTimeEqual($0, presented) }) else {
            throw APIError(HearthError(.unauthorized, "invalid API key"))
        }
        return try await next(request, context)
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
