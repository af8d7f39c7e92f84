import Foundation
import HearthCore

/// The subjects workers and gateways talk on, all under `hearth.`:
///
/// - `hearth.work.MODEL`: any worker that serves MODEL takes a request (queue group
///   `hearth-workers`: each request once);
/// - `hearth.worker.ID`: the worker ID takes a request (what a gateway that chose it sends);
/// - `hearth.worker.ID.cancel`: ends the generation answering on the given inbox;
/// - `hearth.workers.announce`: every worker, every second: its models, slots, cached prefixes;
/// - `hearth.workers.discover`: asks every worker to announce itself now.
public enum WorkerSubjects {
    public static let queue = "hearth-workers"
    public static let announce = "hearth.workers.announce"
    public static let discover = "hearth.workers.discover"

    public static func model(_ name: String) -> String { "hearth.work." + token(name) }
    public static func worker(_ id: String) -> String { "hearth.worker." + token(id) }
    public static func cancel(_ id: String) -> String { worker(id) + ".cancel" }

    /// `text` as one subject token: letters, digits, `-`, `_` and `:` as they are, every other
    /// byte as `~` and two hex digits (so `qwen2.5:0.5b` is `qwen2~2e5:0~2e5b`).
    public static func token(_ text: String) -> String {
        var token = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: ":"):
                token.append(Character(Unicode.Scalar(byte)))
            default:
                token += "~" + String(byte, radix: 16).leftPadded(to: 2)
            }
        }
        return token.isEmpty ? "~" : token
    }
}

/// What a gateway asks a worker, as JSON.
public struct WorkRequest: Codable, Sendable, Equatable {
    public enum Operation: String, Codable, Sendable {
        /// A generation: answered by `accepted`, then `token`s (with `alive` while quiet) up
        /// to a `done`, or a `failed`.
        case generate
        /// How many tokens the prompt is: answered by `tokens` or `failed`.
        case tokens
        /// Embeddings of `inputs`: answered by `embedded` or `failed`.
        case embed
    }

    public var op: Operation
    public var generation: GenerationRequest?
    public var embedding: WireEmbedding?

    public static func generate(_ request: GenerationRequest) -> WorkRequest { WorkRequest(op: .generate, generation: request) }
    public static func tokens(_ request: GenerationRequest) -> WorkRequest { WorkRequest(op: .tokens, generation: request) }
    public static func embed(_ request: EmbeddingRequest) -> WorkRequest {
        WorkRequest(op: .embed, embedding: WireEmbedding(model: request.model, inputs: request.inputs))
    }

    /// The model it is for.
    public var model: String { generation?.model ?? embedding?.model ?? "" }
}

public struct WireEmbedding: Codable, Sendable, Equatable {
    public var model: String
    public var inputs: [String]
}

/// What a worker answers, as JSON, one per message.
public enum WorkEvent: Codable, Sendable, Equatable {
    /// The worker took the generation (the first answer).
    case accepted(worker: String)
    /// Nothing new yet, but the worker is there and working (sent while quiet).
    case alive
    case token(TokenEvent)
    case failed(WireError)
    case tokens(Int)
    case embedded(vectors: [[Float]], promptTokens: Int)
}

extension WorkEvent {
    /// The event as sent: a piece of text (most messages) as `t` and its UTF-8, read without
    /// a JSON parser; any other event as its JSON (which starts with `{`).
    public var wire: [UInt8] {
        if case .token(.text(let piece)) = self { return [UInt8(ascii: "t")] + Array(piece.utf8) }
        return (try? Array(JSONEncoder().encode(self))) ?? []
    }

    /// The event `bytes` carry.
    /// - Throws: `DecodingError` when they carry none.
    public init(wire bytes: [UInt8]) throws {
        if bytes.first == UInt8(ascii: "t") {
            self = .token(.text(String(decoding: bytes.dropFirst(), as: UTF8.self)))
        } else {
            self = try JSONDecoder().decode(WorkEvent.self, from: Data(bytes))
        }
    }
}

/// A `HearthError` as it crosses from a worker to a gateway (its `detail`, for operators,
/// stays in the worker's log).
public struct WireError: Codable, Sendable, Equatable {
    public var code: String
    public var message: String
    public var field: String?
    public var retryAfter: Int?

    public init(_ error: any Error) {
        let failure = error as? HearthError ?? HearthError(.internalError, "the worker failed")
        code = failure.code.description
        message = failure.message
        field = failure.field
        retryAfter = failure.retryAfter
    }

    public var error: HearthError { HearthError(HearthError.Code(named: code), message, field: field, retryAfter: retryAfter) }
}

/// What a worker says of itself on `hearth.workers.announce`.
public struct Announcement: Codable, Sendable, Equatable {
    public struct Model: Codable, Sendable, Equatable {
        public var name: String
        /// Sequences it generates at once.
        public var slots: Int
        /// Requests it is generating or queueing now.
        public var busy: Int
        /// Keys of the prompt prefixes its sequences hold (`PrefixKeys`).
        public var prefixes: [UInt64]

        public init(name: String, slots: Int, busy: Int, prefixes: [UInt64]) {
            self.name = name
            self.slots = slots
            self.busy = busy
            self.prefixes = prefixes
        }
    }

    public var worker: String
    public var models: [Model]
    /// The worker stops: it takes no more requests (those it has, it finishes).
    public var leaving: Bool

    public init(worker: String, models: [Model], leaving: Bool = false) {
        self.worker = worker
        self.models = models
        self.leaving = leaving
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
