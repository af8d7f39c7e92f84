import Foundation
import HearthCore

/// `GET /hearth/ws`: JSON text messages, each with a `type`.
///
/// The client sends:
/// - `{"type": "subscribe", "topics": ["stats", …]}`: events of these topics (all when
///   `topics` is absent) from now on, replacing any earlier subscription; `unsubscribe` stops them.
/// - `{"type": "chat", "id": "ID", "body": {…}}`: a chat completion (`POST /v1/chat/completions`'s
///   body; it always streams); `{"type": "cancel", "id": "ID"}` stops it.
/// - `{"type": "ping"}`.
///
/// The server sends `subscribed`, `event` (`{"type": "event", "event": {…}}`, the object of
/// `/hearth/events`), `chat.start` (with `conversation` when the chat is kept), `chat.chunk`
/// (`data`: one chat completion chunk), `chat.end` (`cancelled` when stopped), `pong`, and
/// `error` (`id` when about a chat, `status`, `error`: the error object of the HTTP API). A
/// chat ends with `chat.end` or with an `error` naming it.
public enum SocketWire {
    /// A message from the client.
    public struct ClientMessage: Decodable, Sendable {
        public var type: String
        public var topics: [String]?
        public var id: String?
        public var body: JSONValue?
    }

    /// Reads a client's message.
    /// - Throws: `HearthError.invalidRequest` naming what is wrong.
    public static func message(_ text: String) throws -> ClientMessage {
        try WireDecoder.decode(ClientMessage.self, from: Data(text.utf8))
    }

    /// `{"type": "subscribed", "topics": […]}`.
    public static func subscribed(_ topics: [String]) -> String {
        encode(["type": .string("subscribed"), "topics": .array(topics.map(JSONValue.string))])
    }

    /// `{"type": "event", "event": EVENT}` around an event's JSON (`EventWire.json`).
    public static func event(_ json: String) -> String { #"{"type":"event","event":"# + json + "}" }

    /// `{"type": "chat.start", "id": ID, "conversation": …}`.
    public static func chatStart(id: String, conversation: String?) -> String {
        var object: [String: JSONValue] = ["type": .string("chat.start"), "id": .string(id)]
        if let conversation { object["conversation"] = .string(conversation) }
        return encode(object)
    }

    /// `{"type": "chat.chunk", "id": ID, "data": CHUNK}` around a chunk's JSON.
    public static func chatChunk(id: String, json: String) -> String {
        #"{"type":"chat.chunk","id":"# + encode(.string(id)) + #","data":"# + json + "}"
    }

    /// `{"type": "chat.end", "id": ID, "cancelled": BOOL}`.
    public static func chatEnd(id: String, cancelled: Bool) -> String {
        encode(["type": .string("chat.end"), "id": .string(id), "cancelled": .bool(cancelled)])
    }

    struct ErrorMessage: Encodable {
        var type = "error"
        var id: String?
        var status: Int?
        var error: OpenAI.ErrorBody.Detail
    }

    /// `{"type": "error", "id": ID, "status": STATUS, "error": {…}}`: `id` names the chat it
    /// ends (absent: about the connection or a message); `status` is the HTTP status the same
    /// request would have had (absent for an error in the middle of an answer).
    public static func error(id: String?, status: Int?, _ detail: OpenAI.ErrorBody.Detail) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(ErrorMessage(id: id, status: status, error: detail))).map { String(decoding: $0, as: UTF8.self) }
            ?? #"{"type":"error"}"#
    }

    public static let pong = #"{"type":"pong"}"#

    private static func encode(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    private static func encode(_ object: [String: JSONValue]) -> String { encode(.object(object)) }
}
