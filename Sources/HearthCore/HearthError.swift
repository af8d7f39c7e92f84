/// A failure Hearth reports to users. Its `description` (the `message`) is safe to show
/// anyone: it never holds prompt text, keys, server file paths or SQL. What only an operator
/// should see goes in `detail`, shown by `debugDescription` and in the server's log. HTTP
/// statuses are decided in one place, by the server.
public struct HearthError: Error, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The kind of failure; new kinds may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case invalidRequest = "invalid_request"
            case modelNotFound = "model_not_found"
            case contextLengthExceeded = "context_length_exceeded"
            case modelLoadFailed = "model_load_failed"
            case queueFull = "queue_full"
            case unauthorized = "invalid_api_key"
            case forbidden = "permission_denied"
            case rateLimited = "rate_limit_exceeded"
            case quotaExceeded = "insufficient_quota"
            case bodyTooLarge = "request_too_large"
            case notFound = "not_found"
            case unavailable = "unavailable"
            case unreachable = "unreachable"
            case internalError = "internal_error"
        }
        fileprivate let base: Base
        public var description: String { base.rawValue }

        public static let invalidRequest = Code(base: .invalidRequest)
        public static let modelNotFound = Code(base: .modelNotFound)
        public static let contextLengthExceeded = Code(base: .contextLengthExceeded)
        public static let modelLoadFailed = Code(base: .modelLoadFailed)
        public static let queueFull = Code(base: .queueFull)
        public static let unauthorized = Code(base: .unauthorized)
        /// The principal is known but its role may not do this (a user managing users).
        public static let forbidden = Code(base: .forbidden)
        /// The key or user sent more requests than its limit allows; retry after `retryAfter`.
        public static let rateLimited = Code(base: .rateLimited)
        /// The key or user has used its token budget for the day or month; retry after `retryAfter`.
        public static let quotaExceeded = Code(base: .quotaExceeded)
        public static let bodyTooLarge = Code(base: .bodyTooLarge)
        public static let notFound = Code(base: .notFound)
        public static let internalError = Code(base: .internalError)
        /// The server or the model cannot take the request now (unloading, shutting down,
        /// no server answers); trying again later may work.
        public static let unavailable = Code(base: .unavailable)
        /// No server answers at the address a client was given (a client's error, never a server's).
        public static let unreachable = Code(base: .unreachable)

        /// The code named `name` on the wire; an unknown name is `internalError`.
        public init(named name: String) {
            base = Base(rawValue: name) ?? .internalError
        }

        fileprivate init(base: Base) {
            self.base = base
        }
    }

    public let code: Code
    public let message: String
    /// The request field at fault, when there is one (`messages[0].content`).
    public let field: String?
    /// For operators only (logs, `debugDescription`): the file, the SQLite or llama.cpp error.
    public let detail: String?
    /// Seconds after which the same request may succeed (a rate limit), when known.
    public let retryAfter: Int?

    public init(_ code: Code, _ message: String, field: String? = nil, detail: String? = nil, retryAfter: Int? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.detail = detail
        self.retryAfter = retryAfter
    }

    public var description: String { message }

    public var debugDescription: String {
        "HearthError(\(code): \(message)" + (field.map { ", field: \($0)" } ?? "") + (detail.map { ", detail: \($0)" } ?? "") + ")"
    }

    public static func invalidRequest(_ message: String, field: String? = nil) -> HearthError {
        HearthError(.invalidRequest, message, field: field)
    }

    public static func modelNotFound(_ model: String) -> HearthError {
        HearthError(.modelNotFound, "model '\(model)' not found; `hearth models list` shows the installed models", field: "model")
    }

    public static func contextLengthExceeded(promptTokens: Int, contextSize: Int) -> HearthError {
        HearthError(
            .contextLengthExceeded,
            "the input is \(promptTokens) tokens but the model's context per request is \(contextSize) tokens; shorten it or raise HEARTH_CONTEXT"
        )
    }
}
