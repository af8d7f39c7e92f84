import Foundation

/// A response of OpenAI's Responses API kept for its owner (`store`, the default): the
/// conversation it continues and its answer, so that `previous_response_id` goes on from
/// it, and what `GET /v1/responses/{id}` returns.
public struct StoredResponse: Sendable, Equatable {
    /// `resp_…`.
    public var id: String
    /// Its user; nil: the administrators'.
    public var ownerID: Int64?
    public var model: String
    public var createdAt: Date
    /// Every message the model saw, then its answer (text and calls).
    public var messages: [ChatMessage]
    /// The response object and its input items (a JSON array), as the API returns them.
    public var body: String
    public var inputItems: String

    public init(
        id: String, ownerID: Int64?, model: String, createdAt: Date, messages: [ChatMessage], body: String, inputItems: String
    ) {
        self.id = id
        self.ownerID = ownerID
        self.model = model
        self.createdAt = createdAt
        self.messages = messages
        self.body = body
        self.inputItems = inputItems
    }

    public static func notFound(_ id: String) -> HearthError {
        HearthError(.notFound, "no response '\(id.prefix(64))'", field: "response_id")
    }
}

/// Where responses are kept (SQLite by default).
public protocol ResponseStore: Sendable {
    func putResponse(_ response: StoredResponse) async throws
    func response(_ id: String) async throws -> StoredResponse?
    /// False when there was none.
    func deleteResponse(_ id: String) async throws -> Bool
}
