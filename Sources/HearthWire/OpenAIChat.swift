import Foundation
import HearthCore

/// OpenAI wire types: the `/v1/*` request and response bodies, and their translation into
/// Hearth's native requests. Unknown fields are ignored, as OpenAI clients send many.
public enum OpenAI {}

extension OpenAI {
    /// One message of a chat request; `content` may be a string, parts (text, and images as
    /// `data:` URLs) or null.
    public struct Message: Codable, Sendable {
        public var role: String
        public var content: String
        /// Images of `image_url` parts, decoded from their `data:` URLs.
        public var images: [Data] = []
        /// An assistant turn's calls; its `content` is then null when empty.
        public var toolCalls: [ToolCallValue]?
        /// The call a `tool` turn answers, and the tool's name.
        public var toolCallID: String?
        public var name: String?

        public init(role: String, content: String, toolCalls: [ToolCallValue]? = nil, toolCallID: String? = nil, name: String? = nil) {
            self.role = role
            self.content = content
            self.toolCalls = toolCalls
            self.toolCallID = toolCallID
            self.name = name
        }

        /// The native message in OpenAI's shape.
        public init(_ message: ChatMessage) {
            self.init(
                role: message.role.rawValue, content: message.content, toolCalls: message.toolCalls?.map(ToolCallValue.init),
                toolCallID: message.toolCallID, name: message.name)
        }

        enum CodingKeys: String, CodingKey {
            case role, content, name
            case toolCalls = "tool_calls", toolCallID = "tool_call_id"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(role, forKey: .role)
            if content.isEmpty && toolCalls?.isEmpty == false {
                try container.encodeNil(forKey: .content)
            } else {
                try container.encode(content, forKey: .content)
            }
            try container.encodeIfPresent(toolCalls, forKey: .toolCalls)
            try container.encodeIfPresent(toolCallID, forKey: .toolCallID)
            try container.encodeIfPresent(name, forKey: .name)
        }

        struct Part: Decodable {
            struct ImageURL: Decodable {
                var url: String
            }

            var type: String
            var text: String?
            var imageURL: ImageURL?

            enum CodingKeys: String, CodingKey {
                case type, text
                case imageURL = "image_url"
            }
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            role = try container.decode(String.self, forKey: .role)
            toolCalls = try container.decodeIfPresent([ToolCallValue].self, forKey: .toolCalls)
            toolCallID = try container.decodeIfPresent(String.self, forKey: .toolCallID)
            name = try container.decodeIfPresent(String.self, forKey: .name)
            if try !container.contains(.content) || container.decodeNil(forKey: .content) {
                content = ""
            } else if let text = try? container.decode(String.self, forKey: .content) {
                content = text
            } else if let parts = try? container.decode([Part].self, forKey: .content) {
                guard parts.allSatisfy({ $0.type == "text" || $0.type == "image_url" }) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .content, in: container, debugDescription: "only text and image_url content parts are supported")
                }
                content = parts.compactMap(\.text).joined()
                images = try parts.filter { $0.type == "image_url" }.map { part in
                    guard let image = part.imageURL, let data = DataURL.decode(image.url) else {
                        throw DecodingError.dataCorruptedError(
                            forKey: .content, in: container,
                            debugDescription: "an image_url must be a base64 data: URL (Hearth fetches no remote images)")
                    }
                    return data
                }
            } else {
                throw DecodingError.typeMismatch(
                    String.self,
                    .init(codingPath: container.codingPath + [CodingKeys.content], debugDescription: "string or array of text parts"))
            }
        }

        /// The native message; `developer` counts as `system`.
        func native(at index: Int) throws -> ChatMessage {
            let mapped = role == "developer" ? "system" : role
            guard let role = ChatRole(rawValue: mapped) else {
                throw HearthError.invalidRequest(
                    "'messages[\(index)].role' must be system, developer, user, assistant or tool", field: "messages[\(index)].role")
            }
            if role == .tool && toolCallID == nil && name == nil {
                throw HearthError.invalidRequest(
                    "'messages[\(index)]' is a tool result without 'tool_call_id'", field: "messages[\(index)].tool_call_id")
            }
            return ChatMessage(
                role: role, content: content, toolCalls: role == .assistant ? toolCalls?.map(\.native) : nil,
                toolCallID: toolCallID, name: name, images: images.isEmpty ? nil : images)
        }
    }

    public struct StreamOptions: Codable, Sendable {
        public var includeUsage: Bool?
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    /// `POST /v1/chat/completions`.
    public struct ChatCompletionRequest: Codable, Sendable {
        public var model: String?
        public var messages: [Message]
        public var stream: Bool?
        public var streamOptions: StreamOptions?
        public var maxTokens: Int?
        public var maxCompletionTokens: Int?
        public var temperature: Double?
        public var topP: Double?
        public var topK: Int?
        public var minP: Double?
        public var repeatPenalty: Double?
        public var presencePenalty: Double?
        public var frequencyPenalty: Double?
        public var seed: Int64?
        public var stop: OneOrMany<String>?
        public var n: Int?
        public var tools: [ToolDefinition]?
        public var toolChoice: ToolChoiceValue?
        public var parallelToolCalls: Bool?
        public var responseFormat: ResponseFormat?
        public var logprobs: Bool?
        /// Hearth's extension: answer from these knowledge-base collections, citing [n].
        public var collections: [String]?
        /// Hearth's extension: keep the messages and the answer in this conversation (`new`
        /// starts one; the response's `Hearth-Conversation` header names it).
        public var conversation: String?
        /// LiteLLM's extension: other models to try, in order, when the model's deployments
        /// all fail before answering.
        public var fallbacks: [String]?

        /// A request for `messages`; set the other fields as needed.
        public init(model: String?, messages: [Message]) {
            self.model = model
            self.messages = messages
        }

        /// `text`, `json_object` (any JSON object) or `json_schema` (JSON of that schema);
        /// the JSON ones are enforced by a grammar while sampling.
        public struct ResponseFormat: Codable, Sendable {
            public var type: String
            public var jsonSchema: JSONSchema?

            public struct JSONSchema: Codable, Sendable {
                public var name: String?
                public var schema: JSONValue?
                public var strict: Bool?

                public init(name: String? = nil, schema: JSONValue? = nil, strict: Bool? = nil) {
                    self.name = name
                    self.schema = schema
                    self.strict = strict
                }
            }

            enum CodingKeys: String, CodingKey { case type, jsonSchema = "json_schema" }

            public init(type: String, jsonSchema: JSONSchema? = nil) {
                self.type = type
                self.jsonSchema = jsonSchema
            }

            /// The grammar for this format; nil for plain text.
            /// - Throws: `HearthError.invalidRequest` naming `response_format`.
            public func grammar() throws -> String? {
                switch type {
                case "text": return nil
                case "json_object": return JSONSchemaGrammar.anyObject
                case "json_schema":
                    guard let schema = jsonSchema?.schema else {
                        throw HearthError.invalidRequest("'response_format.json_schema.schema' is required", field: "response_format")
                    }
                    return try JSONSchemaGrammar.grammar(for: schema, field: "response_format")
                default:
                    throw HearthError.invalidRequest(
                        "'response_format.type' must be text, json_object or json_schema", field: "response_format")
                }
            }
        }

        enum CodingKeys: String, CodingKey {
            case model, messages, stream, temperature, seed, stop, n, tools, logprobs, collections, conversation, fallbacks
            case responseFormat = "response_format", toolChoice = "tool_choice", parallelToolCalls = "parallel_tool_calls"
            case streamOptions = "stream_options", maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens"
            case topP = "top_p", topK = "top_k", minP = "min_p", repeatPenalty = "repeat_penalty"
            case presencePenalty = "presence_penalty", frequencyPenalty = "frequency_penalty"
        }

        /// The native request; `defaultModel` is used when the body names none.
        /// - Throws: `HearthError.invalidRequest` naming the field at fault.
        public func native(defaultModel: String) throws -> GenerationRequest {
            guard !messages.isEmpty else { throw HearthError.invalidRequest("'messages' must not be empty", field: "messages") }
            if let n, n != 1 { throw HearthError.invalidRequest("only n=1 is supported", field: "n") }
            if logprobs == true { throw HearthError.invalidRequest("logprobs are not supported yet", field: "logprobs") }
            var params = try OpenAI.params(
                maxTokens: maxCompletionTokens ?? maxTokens, temperature: temperature, topP: topP, topK: topK, minP: minP,
                repeatPenalty: repeatPenalty, presencePenalty: presencePenalty, frequencyPenalty: frequencyPenalty,
                seed: seed, stop: stop)
            params.grammar = try responseFormat?.grammar()
            let toolUse = try OpenAI.toolUse(
                tools?.enumerated().map { try $1.native(at: $0) }, choice: toolChoice?.choice, parallel: parallelToolCalls,
                besides: params.grammar, formatField: "response_format")
            var request = GenerationRequest(
                model: model ?? defaultModel, prompt: .chat(try messages.enumerated().map { try $1.native(at: $0) }), params: params,
                tools: toolUse)
            request.fallbacks = try OpenAI.fallbacks(fallbacks)
            return request
        }
    }

    /// A request's `fallbacks`: model names, at most 8.
    /// - Throws: `HearthError.invalidRequest` naming `fallbacks`.
    static func fallbacks(_ names: [String]?) throws -> [String]? {
        guard let names else { return nil }
        guard names.count <= 8, names.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 256 }) else {
            throw HearthError.invalidRequest("'fallbacks' takes at most 8 model names", field: "fallbacks")
        }
        return names
    }

    static func params(
        maxTokens: Int?, temperature: Double?, topP: Double?, topK: Int?, minP: Double?, repeatPenalty: Double?,
        presencePenalty: Double?, frequencyPenalty: Double?, seed: Int64?, stop: OneOrMany<String>?
    ) throws -> GenerationParams {
        let params = GenerationParams(
            maxTokens: maxTokens, temperature: temperature, topP: topP, topK: topK, minP: minP, repeatPenalty: repeatPenalty,
            presencePenalty: presencePenalty, frequencyPenalty: frequencyPenalty,
            seed: seed.map { UInt32(truncatingIfNeeded: $0) }, stop: stop?.values ?? [])
        try params.validate()
        return params
    }

    public struct Usage: Codable, Sendable, Equatable {
        public var promptTokens: Int
        public var completionTokens: Int
        public var totalTokens: Int

        public init(_ usage: HearthCore.Usage) {
            promptTokens = usage.promptTokens
            completionTokens = usage.completionTokens
            totalTokens = usage.totalTokens
        }

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
        }
    }

    /// The non-streaming answer of `/v1/chat/completions`.
    public struct ChatCompletion: Codable, Sendable {
        public struct Choice: Codable, Sendable {
            public var index: Int
            public var message: Message
            public var finishReason: String?
            public var logprobs: String?
            enum CodingKeys: String, CodingKey { case index, message, logprobs, finishReason = "finish_reason" }

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(index, forKey: .index)
                try container.encode(message, forKey: .message)
                try container.encode(finishReason, forKey: .finishReason)
                try container.encodeNil(forKey: .logprobs)
            }
        }
        public var id: String
        public var object = "chat.completion"
        public var created: Int
        public var model: String
        public var choices: [Choice]
        public var usage: Usage
        /// Hearth's extension: the passages an answer from `collections` cites as [n].
        public var hearthSources: [KnowledgeWire.Hit]?

        public init(
            id: String, created: Int, model: String, text: String, toolCalls: [ToolCall] = [], finishReason: FinishReason,
            usage: HearthCore.Usage, sources: [SearchHit] = []
        ) {
            hearthSources = sources.isEmpty ? nil : KnowledgeWire.Hit.ranked(sources)
            self.id = id
            self.created = created
            self.model = model
            let message = Message(role: "assistant", content: text, toolCalls: toolCalls.isEmpty ? nil : toolCalls.map(ToolCallValue.init))
            choices = [Choice(index: 0, message: message, finishReason: finishReason.rawValue)]
            self.usage = Usage(usage)
        }
    }

    /// One event of a streamed `/v1/chat/completions` answer.
    public struct ChatCompletionChunk: Codable, Sendable {
        public struct Delta: Codable, Sendable {
            public var role: String?
            public var content: String?
            public var toolCalls: [ToolCallDelta]?

            public init(role: String? = nil, content: String? = nil, toolCalls: [ToolCallDelta]? = nil) {
                self.role = role
                self.content = content
                self.toolCalls = toolCalls
            }

            enum CodingKeys: String, CodingKey { case role, content, toolCalls = "tool_calls" }
        }
        public struct Choice: Codable, Sendable {
            public var index: Int
            public var delta: Delta
            public var finishReason: String?
            enum CodingKeys: String, CodingKey { case index, delta, finishReason = "finish_reason" }

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(index, forKey: .index)
                try container.encode(delta, forKey: .delta)
                try container.encode(finishReason, forKey: .finishReason)
            }
        }
        public var id: String
        public var object = "chat.completion.chunk"
        public var created: Int
        public var model: String
        public var choices: [Choice]
        public var usage: Usage?
        /// Hearth's extension, on the first chunk: the passages an answer from `collections`
        /// cites as [n].
        public var hearthSources: [KnowledgeWire.Hit]?

        public init(
            id: String, created: Int, model: String, delta: Delta, finishReason: FinishReason? = nil, sources: [SearchHit] = []
        ) {
            hearthSources = sources.isEmpty ? nil : KnowledgeWire.Hit.ranked(sources)
            self.id = id
            self.created = created
            self.model = model
            choices = [Choice(index: 0, delta: delta, finishReason: finishReason?.rawValue)]
        }

        /// The last chunk when `stream_options.include_usage` is set: no choices, only usage.
        public init(id: String, created: Int, model: String, usage: HearthCore.Usage) {
            self.id = id
            self.created = created
            self.model = model
            choices = []
            self.usage = Usage(usage)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(object, forKey: .object)
            try container.encode(created, forKey: .created)
            try container.encode(model, forKey: .model)
            try container.encode(choices, forKey: .choices)
            try container.encode(usage, forKey: .usage)
            try container.encodeIfPresent(hearthSources, forKey: .hearthSources)
        }
    }
}

// Clients read answers from any OpenAI-compatible server, some of which leave out `id`,
// `created`, `model` or `usage`: those decode to empty values rather than failing.

extension OpenAI.ChatCompletion {
    enum CodingKeys: String, CodingKey {
        case id, object, created, model, choices, usage
        case hearthSources = "hearth_sources"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(String.self, forKey: .id) ?? ""
        created = try container.decodeIfPresent(Int.self, forKey: .created) ?? 0
        model = try container.decodeIfPresent(String.self, forKey: .model) ?? ""
        choices = try container.decode([Choice].self, forKey: .choices)
        usage =
            try container.decodeIfPresent(OpenAI.Usage.self, forKey: .usage) ?? OpenAI.Usage(Usage(promptTokens: 0, completionTokens: 0))
        hearthSources = try container.decodeIfPresent([KnowledgeWire.Hit].self, forKey: .hearthSources)
    }
}

extension OpenAI.ChatCompletionChunk {
    enum CodingKeys: String, CodingKey {
        case id, object, created, model, choices, usage
        case hearthSources = "hearth_sources"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(String.self, forKey: .id) ?? ""
        created = try container.decodeIfPresent(Int.self, forKey: .created) ?? 0
        model = try container.decodeIfPresent(String.self, forKey: .model) ?? ""
        choices = try container.decodeIfPresent([Choice].self, forKey: .choices) ?? []
        usage = try container.decodeIfPresent(OpenAI.Usage.self, forKey: .usage)
        hearthSources = try container.decodeIfPresent([KnowledgeWire.Hit].self, forKey: .hearthSources)
    }
}
