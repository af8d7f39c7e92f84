import Foundation
import HTTPTypes
import HearthCore
import HearthWire
import Hummingbird
import NIOCore

/// The one place where failures become HTTP answers: status, and the error body in the
/// shape of the API asked: Ollama's `{"error": "…"}` under `/api/`, OpenAI's elsewhere.
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    let body: OpenAI.ErrorBody
    var headers: HTTPFields = [:]

    /// What went wrong, safe to show anyone.
    var message: String { body.error.message }

    init(_ error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as HearthError:
            self.init(error)
        case is NIOTooManyBytesError:
            self.init(HearthError(.bodyTooLarge, "the request body is larger than the server accepts (HEARTH_MAX_BODY)"))
        case is CancellationError:
            self.init(
                status: HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request"),
                body: OpenAI.ErrorBody(message: "the request was cancelled", type: "invalid_request_error", param: nil, code: "cancelled"))
        default:
            self.init(
                status: .internalServerError,
                body: OpenAI.ErrorBody(message: "internal error", type: "server_error", param: nil, code: "internal_error"))
        }
    }

    init(status: HTTPResponse.Status, body: OpenAI.ErrorBody) {
        self.status = status
        self.body = body
    }

    init(_ error: HearthError) {
        let (status, type): (HTTPResponse.Status, String) =
            switch error.code {
            case .invalidRequest, .contextLengthExceeded: (.badRequest, "invalid_request_error")
            case .modelNotFound, .notFound: (.notFound, "invalid_request_error")
            case .unauthorized: (.unauthorized, "authentication_error")
            case .forbidden: (.forbidden, "permission_error")
            case .rateLimited: (.tooManyRequests, "requests")
            case .quotaExceeded: (.tooManyRequests, "insufficient_quota")
            case .bodyTooLarge: (.contentTooLarge, "invalid_request_error")
            case .queueFull, .unavailable: (.serviceUnavailable, "server_error")
            case .modelLoadFailed: (.internalServerError, "server_error")
            default: (.internalServerError, "server_error")
            }
        self.status = status
        body = OpenAI.ErrorBody(message: error.message, type: type, param: error.field, code: error.code.description)
        if [.queueFull, .unavailable, .rateLimited, .quotaExceeded].contains(error.code) {
            headers[.retryAfter] = "\(max(1, error.retryAfter ?? 1))"
        }
        if error.code == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let data =
            request.uri.path.hasPrefix("/api/")
            ? (try? JSONEncoder().encode(Ollama.ErrorBody(message))) ?? Data()
            : (try? JSONEncoder().encode(body)) ?? Data()
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
