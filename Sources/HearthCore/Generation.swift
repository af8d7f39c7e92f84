import Foundation

/// Who wrote a chat message.
public enum ChatRole: String, Sendable, Codable, CaseIterable {
    case system, user, assistant, tool
}

/// One turn of a conversation, already reduced to plain text, with the tool calls of an
/// assistant turn or the call a tool turn answers.
public struct ChatMessage: Sendable, Equatable, Codable {
    public var role: ChatRole
    public var content: String
    /// The calls an assistant turn made.
    public var toolCalls: [ToolCall]?
    /// The call a `tool` turn answers, and the tool's name.
    public var toolCallID: String?
    public var name: String?
    /// Images sent with the message (file bytes). Hearth reads their text (OCR) into
    /// `content` before any model sees the message; none is kept.
    public var images: [Data]?

    public init(
        role: ChatRole, content: String, toolCalls: [ToolCall]? = nil, toolCallID: String? = nil, name: String? = nil, images: [Data]? = nil
    ) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.name = name
        self.images = images
    }

    /// Images are never encoded: only their text, once read, is kept.
    enum CodingKeys: String, CodingKey {
        case role, content, toolCalls, toolCallID, name
    }
}

/// What the model is asked to continue: a conversation (rendered with the model's chat
/// template) or raw text (used as is).
public enum Prompt: Sendable, Equatable, Codable {
    case chat([ChatMessage])
    case text(String)
}

/// Sampling and stopping settings for one generation. `nil` means "the engine's default".
public struct GenerationParams: Sendable, Equatable, Codable {
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    public var minP: Double?
    public var repeatPenalty: Double?
    public var presencePenalty: Double?
    public var frequencyPenalty: Double?
    public var seed: UInt32?
    public var stop: [String]
    /// A GBNF grammar the output must follow (rule `root`), e.g. from a JSON schema.
    public var grammar: String?

    public init(
        maxTokens: Int? = nil, temperature: Double? = nil, topP: Double? = nil, topK: Int? = nil,
        minP: Double? = nil, repeatPenalty: Double? = nil, presencePenalty: Double? = nil,
        frequencyPenalty: Double? = nil, seed: UInt32? = nil, stop: [String] = []
    ) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.minP = minP
        self.repeatPenalty = repeatPenalty
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.seed = seed
        self.stop = stop
    }

    /// The largest `max_tokens` a request may ask for (no context is longer).
    public static let maxTokensLimit = 1 << 24

    /// Checks ranges a user can get wrong; throws `HearthError.invalidRequest` naming the field.
    public func validate() throws {
        if let maxTokens, !(1...Self.maxTokensLimit).contains(maxTokens) {
            throw HearthError.invalidRequest("max_tokens must be 1 to \(Self.maxTokensLimit)", field: "max_tokens")
        }
        if let temperature, !(0...2).contains(temperature) {
            throw HearthError.invalidRequest("temperature must be between 0 and 2", field: "temperature")
        }
        if let topP, !(0...1).contains(topP) { throw HearthError.invalidRequest("top_p must be between 0 and 1", field: "top_p") }
        if let topK, topK < 0 { throw HearthError.invalidRequest("top_k must not be negative", field: "top_k") }
        if let minP, !(0...1).contains(minP) { throw HearthError.invalidRequest("min_p must be between 0 and 1", field: "min_p") }
        if let presencePenalty, !(-2...2).contains(presencePenalty) {
            throw HearthError.invalidRequest("presence_penalty must be between -2 and 2", field: "presence_penalty")
        }
        if let frequencyPenalty, !(-2...2).contains(frequencyPenalty) {
            throw HearthError.invalidRequest("frequency_penalty must be between -2 and 2", field: "frequency_penalty")
        }
        if let repeatPenalty, repeatPenalty <= 0 {
            throw HearthError.invalidRequest("repeat_penalty must be positive", field: "repeat_penalty")
        }
        if stop.count > 16 { throw HearthError.invalidRequest("at most 16 stop strings are allowed", field: "stop") }
        if stop.contains(where: \.isEmpty) { throw HearthError.invalidRequest("stop strings must not be empty", field: "stop") }
    }
}

/// A request for text from one model, as the pipeline hands it to a provider (and, encoded,
/// as a gateway sends it to a worker).
public struct GenerationRequest: Sendable, Equatable, Codable {
    public var model: String
    public var prompt: Prompt
    public var params: GenerationParams
    /// A chat template name to use instead of the model's (a profile's TEMPLATE).
    public var template: String?
    /// How long the model stays loaded after this request, in seconds (Ollama's
    /// `keep_alive`; negative: forever, 0: unload when answered); nil: the server's default.
    public var keepAlive: TimeInterval?
    /// Functions the model may call (chat prompts only).
    public var tools: ToolUse?
    /// Other models to try, in order, when every deployment of `model` fails before its first
    /// token (LiteLLM's `fallbacks`); nil: the configuration's.
    public var fallbacks: [String]?

    public init(model: String, prompt: Prompt, params: GenerationParams = .init(), template: String? = nil, tools: ToolUse? = nil) {
        self.model = model
        self.prompt = prompt
        self.params = params
        self.template = template
        self.tools = tools
    }
}

/// Why a generation ended.
public enum FinishReason: String, Sendable, Equatable, Codable {
    /// The model ended its turn or a stop string was met.
    case stop
    /// `max_tokens` or the context was reached.
    case length
    /// The model called tools (`TokenEvent.toolCall`) and waits for their results.
    case toolCalls = "tool_calls"
}

/// Token counts of one request.
public struct Usage: Sendable, Equatable, Codable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int { promptTokens + completionTokens }

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}

/// What a generation stream yields: text as it is produced, then one final event.
public enum TokenEvent: Sendable, Equatable, Codable {
    /// New text; may be empty-free partial words. Never contains a stop string.
    case text(String)
    /// A complete call of a tool, its arguments a JSON object. Comes before `.done(.toolCalls, …)`.
    case toolCall(ToolCall)
    /// The end: why, and how many tokens were used.
    case done(FinishReason, Usage)
}

/// A request for embeddings of several inputs from one model.
public struct EmbeddingRequest: Sendable, Equatable {
    public var model: String
    public var inputs: [String]
    /// As `GenerationRequest.keepAlive`.
    public var keepAlive: TimeInterval?

    public init(model: String, inputs: [String]) {
        self.model = model
        self.inputs = inputs
    }
}

/// Embeddings in input order, each L2-normalised, with the tokens they cost.
public struct EmbeddingResult: Sendable, Equatable {
    public var vectors: [[Float]]
    public var promptTokens: Int

    public init(vectors: [[Float]], promptTokens: Int) {
        self.vectors = vectors
        self.promptTokens = promptTokens
    }
}
