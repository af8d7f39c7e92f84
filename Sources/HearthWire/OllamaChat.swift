import Foundation
import HearthCore

extension Ollama {
    /// One chat message. `content` may be left out (empty); `images` (base64) are read by OCR
    /// into the message's text; `thinking` is ignored. An assistant turn may carry
    /// `tool_calls`, a `tool` turn names its tool in `tool_name`.
    public struct Message: Codable, Sendable, Equatable {
        /// `system`, `user`, `assistant` or `tool`.
        public var role: String
        /// The text; empty when left out.
        public var content: String
        /// Base64 images, for multimodal models.
        public var images: [String]?
        /// The calls of an assistant turn.
        public var toolCalls: [ToolCallValue]?
        /// The tool whose result a `tool` turn is.
        public var toolName: String?

        /// A message without images.
        public init(role: String, content: String, toolCalls: [ToolCallValue]? = nil) {
            self.role = role
            self.content = content
            self.toolCalls = toolCalls
        }

        enum CodingKeys: String, CodingKey {
            case role, content, images
            case toolCalls = "tool_calls", toolName = "tool_name"
        }

        /// Decodes a message; a missing or null `content` is empty.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            role = try container.decode(String.self, forKey: .role)
            content = try container.decodeIfPresent(String.self, forKey: .content) ?? ""
            images = try container.decodeIfPresent([String].self, forKey: .images)
            toolCalls = try container.decodeIfPresent([ToolCallValue].self, forKey: .toolCalls)
            toolName = try container.decodeIfPresent(String.self, forKey: .toolName)
        }

        func native(at index: Int) throws -> ChatMessage {
            let decoded = try Ollama.images(images, field: "messages[\(index)].images")
            guard let role = ChatRole(rawValue: role) else {
                throw HearthError.invalidRequest(
                    "'messages[\(index)].role' must be system, user, assistant or tool", field: "messages[\(index)].role")
            }
            return ChatMessage(
                role: role, content: content, toolCalls: role == .assistant ? try toolCalls?.map { try $0.native() } : nil,
                name: role == .tool ? toolName : nil, images: decoded.isEmpty ? nil : decoded)
        }
    }

    /// A call in Ollama's shape: `{"function": {"name", "arguments": {…}}}`, the arguments
    /// an object rather than text.
    public struct ToolCallValue: Codable, Sendable, Equatable {
        public var id: String?
        public var function: Function

        public struct Function: Codable, Sendable, Equatable {
            public var index: Int?
            public var name: String
            public var arguments: JSONValue
        }

        /// `call`, the `index`th of its answer; arguments that are not a JSON object (never
        /// from Hearth's parser) are carried as a string.
        public init(_ call: ToolCall, index: Int) {
            id = call.id
            let arguments = (try? JSONDecoder().decode(JSONValue.self, from: Data(call.arguments.utf8))) ?? .string(call.arguments)
            function = Function(index: index, name: call.name, arguments: arguments)
        }

        private static let encoder = {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return encoder
        }()

        func native() throws -> ToolCall {
            let arguments: String =
                if case .string(let text) = function.arguments { text } else {
                    String(decoding: try Self.encoder.encode(function.arguments), as: UTF8.self)
                }
            return ToolCall(id: id ?? ToolCall.newID(), name: function.name, arguments: arguments)
        }
    }

    /// `POST /api/chat`. Streams unless `stream` is false. No messages means "load the model"
    /// (`isLoadOnly`), and with `keep_alive` 0 "unload it" (`isUnload`): answer those with
    /// `ChatResponse(model:doneReason:)` instead of generating.
    public struct ChatRequest: Codable, Sendable {
        /// The model; the server's default when absent or empty.
        public var model: String?
        /// The conversation; none (or an empty array) only loads the model.
        public var messages: [Message]?
        /// Absent means true, as in Ollama.
        public var stream: Bool?
        /// `"json"` or a JSON schema: the output is constrained to it by a grammar.
        public var format: JSONValue?
        /// Sampling settings; see `Ollama.Options`.
        public var options: Options?
        /// How long the model stays loaded afterwards (`5m`, seconds, 0 = unload, negative = stay).
        public var keepAlive: KeepAlive?
        /// Whether (or how hard) a thinking model should think: accepted and ignored.
        public var think: JSONValue?
        /// Functions the model may call, in OpenAI's shape (the `ollama` package always sends `[]`).
        public var tools: [OpenAI.ToolDefinition]?
        /// Refused when true.
        public var logprobs: Bool?
        /// Hearth's extension, as on `/v1/chat/completions`: answer from these knowledge-base
        /// collections, citing [n].
        public var collections: [String]?
        /// Hearth's extension, as on `/v1/chat/completions`: keep the exchange in this conversation.
        public var conversation: String?

        enum CodingKeys: String, CodingKey {
            case model, messages, stream, format, options, think, tools, logprobs, collections, conversation
            case keepAlive = "keep_alive"
        }

        /// Whether the answer is streamed (the default).
        public var streams: Bool { stream ?? true }

        /// Whether the request only loads the model: it has no messages.
        public var isLoadOnly: Bool { messages?.isEmpty ?? true }

        /// Whether the request only unloads the model: no messages and `keep_alive` 0.
        public var isUnload: Bool { isLoadOnly && keepAlive?.seconds == 0 }

        /// The native request; `defaultModel` is used when the body names none.
        /// - Throws: `HearthError.invalidRequest` naming the field at fault.
        public func native(defaultModel: String) throws -> GenerationRequest {
            guard let messages, !messages.isEmpty else {
                throw HearthError.invalidRequest("'messages' must not be empty", field: "messages")
            }
            if logprobs == true { throw HearthError.invalidRequest("logprobs are not supported yet", field: "logprobs") }
            let prompt = Prompt.chat(try messages.enumerated().map { try $1.native(at: $0) })
            var params = try (options ?? Options()).params()
            params.grammar = try Ollama.grammar(format)
            var toolUse: ToolUse?
            if let tools, !tools.isEmpty {
                toolUse = ToolUse(tools: try tools.enumerated().map { try $1.native(at: $0) })
                try toolUse?.validate()
                if params.grammar != nil { throw HearthError.invalidRequest("'format' cannot be combined with tools", field: "format") }
            }
            return GenerationRequest(model: Ollama.model(model, defaultModel), prompt: prompt, params: params, tools: toolUse)
        }
    }

    /// What the last chunk of `/api/chat` and `/api/generate` adds: why it ended, token
    /// counts and durations (nanoseconds). Encoded into the chunk's own object.
    public struct Ending: Encodable, Sendable, Equatable {
        /// `stop`, `length`, or `load` / `unload` for requests that only load or unload.
        public var doneReason: String
        public var totalDuration: Int?
        public var loadDuration: Int?
        public var promptEvalCount: Int?
        public var promptEvalDuration: Int?
        public var evalCount: Int?
        public var evalDuration: Int?

        enum CodingKeys: String, CodingKey {
            case doneReason = "done_reason", totalDuration = "total_duration", loadDuration = "load_duration"
            case promptEvalCount = "prompt_eval_count", promptEvalDuration = "prompt_eval_duration"
            case evalCount = "eval_count", evalDuration = "eval_duration"
        }

        /// A generation's end.
        public init(finishReason: FinishReason, usage: Usage, timings: Timings) {
            doneReason = finishReason.rawValue
            totalDuration = Timings.nanoseconds(timings.total)
            loadDuration = Timings.nanoseconds(timings.load)
            promptEvalCount = usage.promptTokens
            promptEvalDuration = Timings.nanoseconds(timings.promptEval)
            evalCount = usage.completionTokens
            evalDuration = Timings.nanoseconds(timings.eval)
        }

        /// A load or unload (no counts).
        public init(doneReason: String) {
            self.doneReason = doneReason
        }
    }

    /// An answer of `/api/chat`: one streamed chunk, or the whole answer when not streaming.
    /// The fields after `done` are only on the last chunk (absent ones are left out).
    public struct ChatResponse: Encodable, Sendable {
        /// The model that answered, `name:tag`.
        public var model: String
        /// See `Ollama.timestamp`.
        public var createdAt: String
        /// An `assistant` message with the new text (streamed) or all of it.
        public var message: Message
        /// Whether this is the last chunk.
        public var done: Bool
        /// Set on the last chunk only.
        public var ending: Ending?

        enum CodingKeys: String, CodingKey {
            case model, message, done
            case createdAt = "created_at"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(model, forKey: .model)
            try container.encode(createdAt, forKey: .createdAt)
            try container.encode(message, forKey: .message)
            try container.encode(done, forKey: .done)
            try ending?.encode(to: encoder)
        }

        /// A chunk carrying new text, or calls (numbered from `firstCall`).
        public init(model: String, content: String, toolCalls: [ToolCall] = [], firstCall: Int = 0, createdAt: Date = Date()) {
            self.model = model
            self.createdAt = Ollama.timestamp(createdAt)
            let calls = toolCalls.enumerated().map { ToolCallValue($1, index: firstCall + $0) }
            message = Message(role: "assistant", content: content, toolCalls: calls.isEmpty ? nil : calls)
            done = false
        }

        /// The last chunk (`content` empty), or the whole answer (`content` all the text).
        public init(
            model: String, content: String = "", toolCalls: [ToolCall] = [], finishReason: FinishReason, usage: Usage, timings: Timings,
            createdAt: Date = Date()
        ) {
            self.init(model: model, content: content, toolCalls: toolCalls, createdAt: createdAt)
            done = true
            ending = Ending(finishReason: finishReason, usage: usage, timings: timings)
        }

        /// The answer to a request without messages: `doneReason` is `load` or `unload`.
        public init(model: String, doneReason: String, createdAt: Date = Date()) {
            self.init(model: model, content: "", createdAt: createdAt)
            done = true
            ending = Ending(doneReason: doneReason)
        }
    }

    /// `POST /api/generate`. Streams unless `stream` is false. An empty prompt means "load the
    /// model" (`isLoadOnly`), and with `keep_alive` 0 "unload it" (`isUnload`): answer those with
    /// `GenerateResponse(model:doneReason:)` instead of generating.
    public struct GenerateRequest: Codable, Sendable {
        /// The model; the server's default when absent or empty.
        public var model: String?
        /// The user's text; empty only loads the model.
        public var prompt: String?
        /// Text after the insertion point (fill-in-the-middle): refused when not empty.
        public var suffix: String?
        /// Replaces the system prompt; ignored when `raw`.
        public var system: String?
        /// A Go template replacing the model's: accepted and ignored (the GGUF's chat template is used).
        public var template: String?
        /// Tokens returned by an earlier answer, to continue it: refused when not empty (Hearth returns none).
        public var context: [Int]?
        /// Send `prompt` as is, without the chat template.
        public var raw: Bool?
        /// Absent means true, as in Ollama.
        public var stream: Bool?
        /// `"json"` or a JSON schema: the output is constrained to it by a grammar.
        public var format: JSONValue?
        /// Base64 images, read by OCR into the prompt's text (not with `raw`).
        public var images: [String]?
        /// Sampling settings; see `Ollama.Options`.
        public var options: Options?
        /// How long the model stays loaded afterwards (`5m`, seconds, 0 = unload, negative = stay).
        public var keepAlive: KeepAlive?
        /// Accepted and ignored.
        public var think: JSONValue?
        /// Refused when true.
        public var logprobs: Bool?

        enum CodingKeys: String, CodingKey {
            case model, prompt, suffix, system, template, context, raw, stream, format, images, options, think, logprobs
            case keepAlive = "keep_alive"
        }

        /// Whether the answer is streamed (the default).
        public var streams: Bool { stream ?? true }

        /// Whether the request only loads the model: its prompt is empty.
        public var isLoadOnly: Bool { prompt?.isEmpty ?? true }

        /// Whether the request only unloads the model: empty prompt and `keep_alive` 0.
        public var isUnload: Bool { isLoadOnly && keepAlive?.seconds == 0 }

        /// The native request: the prompt as is when `raw`, else a chat of `system` (if any) and
        /// the prompt as the user's turn. `defaultModel` is used when the body names none.
        /// - Throws: `HearthError.invalidRequest` naming the field at fault.
        public func native(defaultModel: String) throws -> GenerationRequest {
            guard let prompt, !prompt.isEmpty else { throw HearthError.invalidRequest("'prompt' must not be empty", field: "prompt") }
            if let suffix, !suffix.isEmpty { throw HearthError.invalidRequest("'suffix' is not supported", field: "suffix") }
            let decoded = try Ollama.images(images, field: "images")
            if raw == true && !decoded.isEmpty {
                throw HearthError.invalidRequest("images need the chat form of the prompt, not 'raw'", field: "images")
            }
            if let context, !context.isEmpty {
                throw HearthError.invalidRequest("'context' is not supported: send the conversation to /api/chat", field: "context")
            }
            if logprobs == true { throw HearthError.invalidRequest("logprobs are not supported yet", field: "logprobs") }
            var params = try (options ?? Options()).params()
            params.grammar = try Ollama.grammar(format)
            if raw == true {
                return GenerationRequest(model: Ollama.model(model, defaultModel), prompt: .text(prompt), params: params)
            }
            var messages: [ChatMessage] = []
            if let system, !system.isEmpty { messages.append(ChatMessage(role: .system, content: system)) }
            messages.append(ChatMessage(role: .user, content: prompt, images: decoded.isEmpty ? nil : decoded))
            return GenerationRequest(model: Ollama.model(model, defaultModel), prompt: .chat(messages), params: params)
        }
    }

    /// An answer of `/api/generate`: one streamed chunk, or the whole answer when not streaming.
    /// The fields after `done` are only on the last chunk; `context` is never sent.
    public struct GenerateResponse: Encodable, Sendable {
        /// The model that answered, `name:tag`.
        public var model: String
        /// See `Ollama.timestamp`.
        public var createdAt: String
        /// New text (streamed), or all of it.
        public var response: String
        /// Whether this is the last chunk.
        public var done: Bool
        /// Set on the last chunk only.
        public var ending: Ending?

        enum CodingKeys: String, CodingKey {
            case model, response, done
            case createdAt = "created_at"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(model, forKey: .model)
            try container.encode(createdAt, forKey: .createdAt)
            try container.encode(response, forKey: .response)
            try container.encode(done, forKey: .done)
            try ending?.encode(to: encoder)
        }

        /// A chunk carrying new text.
        public init(model: String, response: String, createdAt: Date = Date()) {
            self.model = model
            self.createdAt = Ollama.timestamp(createdAt)
            self.response = response
            done = false
        }

        /// The last chunk (`response` empty), or the whole answer (`response` all the text).
        public init(
            model: String, response: String = "", finishReason: FinishReason, usage: Usage, timings: Timings, createdAt: Date = Date()
        ) {
            self.init(model: model, response: response, createdAt: createdAt)
            done = true
            ending = Ending(finishReason: finishReason, usage: usage, timings: timings)
        }

        /// The answer to a request with an empty prompt: `doneReason` is `load` or `unload`.
        public init(model: String, doneReason: String, createdAt: Date = Date()) {
            self.init(model: model, response: "", createdAt: createdAt)
            done = true
            ending = Ending(doneReason: doneReason)
        }
    }

    /// `POST /api/embed`: `input` is a string or an array of strings. No input (or `""`) means
    /// "load the model" (`isLoadOnly`): answer with `EmbedResponse(model:)`.
    public struct EmbedRequest: Codable, Sendable {
        /// The model; the server's default embedding model when absent or empty.
        public var model: String?
        /// One text or several.
        public var input: OneOrMany<String>?
        /// Accepted and ignored: Hearth never truncates; an input longer than the context is a 400.
        public var truncate: Bool?
        /// Refused when set: the model's width is fixed.
        public var dimensions: Int?
        /// Accepted and ignored.
        public var options: JSONValue?
        /// How long the model stays loaded afterwards (`5m`, seconds, 0 = unload, negative = stay).
        public var keepAlive: KeepAlive?

        enum CodingKeys: String, CodingKey {
            case model, input, truncate, dimensions, options
            case keepAlive = "keep_alive"
        }

        /// The texts to embed; `""` alone is none.
        public var inputs: [String] {
            let values = input?.values ?? []
            return values == [""] ? [] : values
        }

        /// Whether the request only loads the model: it has nothing to embed.
        public var isLoadOnly: Bool { inputs.isEmpty }

        /// The native request; `defaultModel` is used when the body names none.
        /// - Throws: `HearthError.invalidRequest` naming the field at fault.
        public func native(defaultModel: String) throws -> HearthCore.EmbeddingRequest {
            guard !inputs.isEmpty else { throw HearthError.invalidRequest("'input' must not be empty", field: "input") }
            guard inputs.count <= OpenAI.EmbeddingRequest.maxInputs else {
                throw HearthError.invalidRequest("'input' may hold at most \(OpenAI.EmbeddingRequest.maxInputs) strings", field: "input")
            }
            if dimensions != nil {
                throw HearthError.invalidRequest("'dimensions' is not supported: the model's width is fixed", field: "dimensions")
            }
            return HearthCore.EmbeddingRequest(model: Ollama.model(model, defaultModel), inputs: inputs)
        }
    }

    /// The answer of `/api/embed`: one L2-normalised vector per input, in order.
    public struct EmbedResponse: Codable, Sendable {
        /// The model that embedded, `name:tag`.
        public var model: String
        /// One vector per input, in input order.
        public var embeddings: [[Float]]
        /// Nanoseconds.
        public var totalDuration: Int?
        /// Nanoseconds.
        public var loadDuration: Int?
        /// Tokens of all the inputs.
        public var promptEvalCount: Int?

        enum CodingKeys: String, CodingKey {
            case model, embeddings
            case totalDuration = "total_duration", loadDuration = "load_duration", promptEvalCount = "prompt_eval_count"
        }

        /// The embeddings of `result`.
        public init(model: String, result: EmbeddingResult, timings: Timings) {
            self.model = model
            embeddings = result.vectors
            totalDuration = Timings.nanoseconds(timings.total)
            loadDuration = Timings.nanoseconds(timings.load)
            promptEvalCount = result.promptTokens
        }

        /// The answer to a request with nothing to embed (a load): no embeddings.
        public init(model: String) {
            self.model = model
            embeddings = []
        }
    }

    /// `POST /api/embeddings`, the legacy single-text form of `/api/embed`. An empty prompt
    /// means "load the model" (`isLoadOnly`): answer with `EmbeddingsResponse(embedding: [])`.
    public struct EmbeddingsRequest: Codable, Sendable {
        /// The model; the server's default embedding model when absent or empty.
        public var model: String?
        /// The text to embed; empty only loads the model.
        public var prompt: String?
        /// Accepted and ignored.
        public var options: JSONValue?
        /// How long the model stays loaded afterwards (`5m`, seconds, 0 = unload, negative = stay).
        public var keepAlive: KeepAlive?

        enum CodingKeys: String, CodingKey {
            case model, prompt, options
            case keepAlive = "keep_alive"
        }

        /// Whether the request only loads the model: its prompt is empty.
        public var isLoadOnly: Bool { prompt?.isEmpty ?? true }

        /// The native request for the one prompt; `defaultModel` is used when the body names none.
        /// - Throws: `HearthError.invalidRequest` when the prompt is empty.
        public func native(defaultModel: String) throws -> HearthCore.EmbeddingRequest {
            guard let prompt, !prompt.isEmpty else { throw HearthError.invalidRequest("'prompt' must not be empty", field: "prompt") }
            return HearthCore.EmbeddingRequest(model: Ollama.model(model, defaultModel), inputs: [prompt])
        }
    }

    /// The answer of `/api/embeddings`: one vector (L2-normalised, unlike Ollama's legacy endpoint).
    public struct EmbeddingsResponse: Codable, Sendable {
        /// The vector of the prompt; empty for a load.
        public var embedding: [Float]

        /// The answer carrying `embedding`.
        public init(embedding: [Float]) {
            self.embedding = embedding
        }
    }

    /// The grammar for `format`: `"json"` (any JSON object) or a JSON schema; nil when absent or `""`.
    /// - Throws: `HearthError.invalidRequest` naming `format`.
    static func grammar(_ format: JSONValue?) throws -> String? {
        switch format {
        case nil, .null?, .string("")?: nil
        case .string("json")?: JSONSchemaGrammar.anyObject
        case .object?: try JSONSchemaGrammar.grammar(for: format!, field: "format")
        default: throw HearthError.invalidRequest("'format' must be \"json\" or a JSON schema", field: "format")
        }
    }

    /// `model`, or `defaultModel` when it is absent or empty.
    public static func model(_ model: String?, _ defaultModel: String) -> String {
        guard let model, !model.isEmpty else { return defaultModel }
        return model
    }
}

extension Ollama {
    /// The bytes of base64 images (plain, or `data:` URLs), as `/api/chat` and `/api/generate`
    /// take them.
    /// - Throws: `HearthError.invalidRequest` naming `field` for one that is not base64.
    static func images(_ images: [String]?, field: String) throws -> [Data] {
        try (images ?? []).map { image in
            guard let data = DataURL.decode(image) ?? Data(base64Encoded: image, options: .ignoreUnknownCharacters), !data.isEmpty
            else { throw HearthError.invalidRequest("an image must be base64", field: field) }
            return data
        }
    }
}
