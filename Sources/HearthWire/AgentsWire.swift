import Foundation
import HearthCore

/// Wire shapes of `POST /hearth/agents/run`.
public enum AgentsWire {
    /// A task: `input` (one user message) or `messages` (OpenAI's shape), the skills offered,
    /// and the limits of the run.
    public struct RunRequest: Codable, Sendable {
        public var model: String?
        public var input: String?
        public var messages: [OpenAI.Message]?
        /// A system prompt placed first.
        public var system: String?
        /// Skill names; none given: every skill the caller may run.
        public var skills: [String]?
        /// For the first step: `auto` (default), `required`, `none` or a named function.
        public var toolChoice: OpenAI.ToolChoiceValue?
        public var maxSteps: Int?
        /// Completion tokens of all steps together.
        public var maxTokens: Int?
        public var temperature: Double?
        public var topP: Double?
        public var seed: Int64?
        /// `conv_…` or `new`: the run is kept in that conversation.
        public var conversation: String?
        public var stream: Bool?
        public var keepAlive: Double?

        enum CodingKeys: String, CodingKey {
            case model, input, messages, system, skills, temperature, seed, conversation, stream
            case maxSteps = "max_steps", maxTokens = "max_tokens", topP = "top_p", keepAlive = "keep_alive"
            case toolChoice = "tool_choice"
        }

        public init(
            model: String? = nil, input: String? = nil, messages: [OpenAI.Message]? = nil, system: String? = nil, skills: [String]? = nil,
            maxSteps: Int? = nil, maxTokens: Int? = nil, temperature: Double? = nil, seed: Int64? = nil, conversation: String? = nil,
            stream: Bool? = nil
        ) {
            self.model = model
            self.input = input
            self.messages = messages
            self.system = system
            self.skills = skills
            self.maxSteps = maxSteps
            self.maxTokens = maxTokens
            self.temperature = temperature
            self.seed = seed
            self.conversation = conversation
            self.stream = stream
        }

        /// The messages the agent starts from.
        /// - Throws: `HearthError.invalidRequest` without a task, or with both shapes of one.
        public func startingMessages() throws -> [ChatMessage] {
            var messages: [ChatMessage] = []
            if let system { messages.append(ChatMessage(role: .system, content: system)) }
            switch (input, self.messages) {
            case (let input?, nil): messages.append(ChatMessage(role: .user, content: input))
            case (nil, let given?): messages += try given.enumerated().map { try $1.native(at: $0) }
            case (.some, .some): throw HearthError.invalidRequest("give 'input' or 'messages', not both", field: "input")
            case (nil, nil): throw HearthError.invalidRequest("'input' (the task) is required", field: "input")
            }
            return messages
        }

        public var params: GenerationParams {
            get throws {
                try OpenAI.params(
                    maxTokens: nil, temperature: temperature, topP: topP, topK: nil, minP: nil, repeatPenalty: nil,
                    presencePenalty: nil, frequencyPenalty: nil, seed: seed, stop: nil)
            }
        }
    }

    /// One thing that happened in a run; in a stream, each is an SSE event with its `type`.
    public struct Step: Codable, Sendable, Equatable {
        /// `step`, `text`, `tool_call`, `tool_result` (and `done` in streams).
        public var type: String
        /// `step`: its number.
        public var step: Int?
        /// `text`: a piece of the answer.
        public var delta: String?
        /// `tool_call` and `tool_result`: the call.
        public var id: String?
        public var name: String?
        public var arguments: String?
        /// `tool_result`: the skill's output, and whether it is an error.
        public var output: String?
        public var isError: Bool?
        /// `done`: why the run ended, and the tokens it used.
        public var finishReason: String?
        public var usage: OpenAI.Usage?

        enum CodingKeys: String, CodingKey {
            case type, step, delta, id, name, arguments, output, usage
            case isError = "is_error", finishReason = "finish_reason"
        }

        public init(
            type: String, step: Int? = nil, delta: String? = nil, id: String? = nil, name: String? = nil, arguments: String? = nil,
            output: String? = nil, isError: Bool? = nil, finishReason: String? = nil, usage: OpenAI.Usage? = nil
        ) {
            self.type = type
            self.step = step
            self.delta = delta
            self.id = id
            self.name = name
            self.arguments = arguments
            self.output = output
            self.isError = isError
            self.finishReason = finishReason
            self.usage = usage
        }
    }

    /// A whole run: the final answer, the calls and results on the way (no text pieces).
    public struct RunResult: Codable, Sendable {
        public var model: String
        public var output: String
        public var finishReason: String
        public var steps: [Step]
        public var usage: OpenAI.Usage

        enum CodingKeys: String, CodingKey {
            case model, output, steps, usage
            case finishReason = "finish_reason"
        }

        public init(model: String, output: String, finishReason: String, steps: [Step], usage: OpenAI.Usage) {
            self.model = model
            self.output = output
            self.finishReason = finishReason
            self.steps = steps
            self.usage = usage
        }
    }
}
