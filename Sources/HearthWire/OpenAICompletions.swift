import Foundation
import HearthCore

extension OpenAI {
    /// `POST /v1/completions` (the legacy text completion API).
    public struct CompletionRequest: Codable, Sendable {
        public var model: String?
        public var prompt: OneOrMany<String>
        public var stream: Bool?
        public var streamOptions: StreamOptions?
        public var maxTokens: Int?
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
        public var suffix: String?
        /// LiteLLM's extension: other models to try when the model's deployments all fail.
        public var fallbacks: [String]?

        enum CodingKeys: String, CodingKey {
            case model, prompt, stream, temperature, seed, stop, n, suffix, fallbacks
            case streamOptions = "stream_options", maxTokens = "max_tokens"
            case topP = "top_p", topK = "top_k", minP = "min_p", repeatPenalty = "repeat_penalty"
            case presencePenalty = "presence_penalty", frequencyPenalty = "frequency_penalty"
        }

        /// OpenAI's default when `max_tokens` is absent.
        public static let defaultMaxTokens = 16

        public func native(defaultModel: String) throws -> GenerationRequest {
            guard prompt.values.count == 1 else {
                throw HearthError.invalidRequest("'prompt' must be one string (batches of prompts are not supported)", field: "prompt")
            }
            if let n, n != 1 { throw HearthError.invalidRequest("only n=1 is supported", field: "n") }
            if suffix != nil { throw HearthError.invalidRequest("'suffix' is not supported", field: "suffix") }
            let params = try OpenAI.params(
                maxTokens: maxTokens ?? Self.defaultMaxTokens, temperature: temperature, topP: topP, topK: topK, minP: minP,
                repeatPenalty: repeatPenalty, presencePenalty: presencePenalty, frequencyPenalty: frequencyPenalty,
                seed: seed, stop: stop)
            var request = GenerationRequest(model: model ?? defaultModel, prompt: .text(prompt.values[0]), params: params)
            request.fallbacks = try OpenAI.fallbacks(fallbacks)
            return request
        }
    }

    /// The answer of `/v1/completions`, whole or one streamed event of it.
    public struct Completion: Codable, Sendable {
        public struct Choice: Codable, Sendable {
            public var text: String
            public var index: Int
            public var finishReason: String?
            enum CodingKeys: String, CodingKey { case text, index, logprobs, finishReason = "finish_reason" }

            public init(text: String, finishReason: FinishReason?) {
                self.text = text
                index = 0
                self.finishReason = finishReason?.rawValue
            }

            public init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                text = try container.decode(String.self, forKey: .text)
                index = try container.decode(Int.self, forKey: .index)
                finishReason = try container.decodeIfPresent(String.self, forKey: .finishReason)
            }

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(text, forKey: .text)
                try container.encode(index, forKey: .index)
                try container.encodeNil(forKey: .logprobs)
                try container.encode(finishReason, forKey: .finishReason)
            }
        }
        public var id: String
        public var object = "text_completion"
        public var created: Int
        public var model: String
        public var choices: [Choice]
        public var usage: Usage?

        public init(id: String, created: Int, model: String, choices: [Choice], usage: HearthCore.Usage?) {
            self.id = id
            self.created = created
            self.model = model
            self.choices = choices
            self.usage = usage.map(Usage.init)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(object, forKey: .object)
            try container.encode(created, forKey: .created)
            try container.encode(model, forKey: .model)
            try container.encode(choices, forKey: .choices)
            try container.encode(usage, forKey: .usage)
        }
    }
}
