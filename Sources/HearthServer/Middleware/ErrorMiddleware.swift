import HearthCore
import Hummingbird

/// Turns every error a handler throws into `APIError`, so that all failures, including
/// Hummingbird's own (unknown route, body too large), answer in OpenAI's shape. A failure
/// of the server's own (5xx) is logged with its detail, which the client never sees.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            throw APIError(HearthError(.notFound, "no route for \(request.method) \(request.uri.path)"))
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(HearthError(.bodyTooLarge, "the request body is larger than the server accepts (HEARTH_MAX_BODY)"))
        } catch {
            let answer = APIError(error)
            if answer.status.code >= 500, answer.status != .serviceUnavailable {
                context.logger.error("request failed", metadata: ["hearth.error": .string(String(reflecting: error))])
            }
            throw answer
        }
    }
}
