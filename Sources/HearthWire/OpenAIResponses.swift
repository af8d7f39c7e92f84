import Foundation
import HearthCore

/// OpenAI's Responses API (`/v1/responses`) on the wire: the request, the response object,
/// its output items and its streamed events.
extension OpenAI {
    public struct ResponseRequest: Decodable, Sendable {
        public var model: String?
        /// A string (one user message) or a list of items.
        public var input: ResponseInput
        /// A system prompt for this response only (not carried by `previous_response_id`).
        public var instructions: String?
        public var tools: [ResponseTool]?
        public var toolChoice: ResponseToolChoice?
        public var parallelToolCalls: Bool?
        public var maxOutputTokens: Int?
        public var temperature: Double?
        public var topP: Double?
        /// Default true: the response is kept for `GET` and `previous_response_id`.
        public var store: Bool?
        public var previousResponseID: String?
        public var text: ResponseText?
        public var stream: Bool?
        public var metadata: [String: String]?

        enum CodingKeys: String, CodingKey {
            case model, input, instructions, tools, temperature, store, text, stream, metadata
            case toolChoice = "tool_choice", parallelToolCalls = "parallel_tool_calls", maxOutputTokens = "max_output_tokens"
            case topP = "top_p", previousResponseID = "previous_response_id"
        }

        /// The generation this request asks for, after `history` (a previous response's
        /// conversation); `defaultModel` when it names none.
        /// - Throws: `HearthError.invalidRequest` naming the field at fault.
        public func native(history: [ChatMessage], defaultModel: String) throws -> GenerationRequest {
            var messages = history
            if let instructions, !instructions.isEmpty {
                messages.insert(ChatMessage(role: .system, content: instructions), at: 0)
            }
            messages += try input.messages()
            guard !messages.isEmpty else { throw HearthError.invalidRequest("'input' must not be empty", field: "input") }
            var params = try OpenAI.params(
                maxTokens: maxOutputTokens, temperature: temperature, topP: topP, topK: nil, minP: nil, repeatPenalty: nil,
                presencePenalty: nil, frequencyPenalty: nil, seed: nil, stop: nil)
            params.grammar = try text?.format?.grammar()
            let toolUse = try OpenAI.toolUse(
                tools?.enumerated().map { try $1.native(at: $0) }, choice: toolChoice?.choice, parallel: parallelToolCalls,
                besides: params.grammar, formatField: "text")
            return GenerationRequest(model: model ?? defaultModel, prompt: .chat(messages), params: params, tools: toolUse)
        }
    }

    /// `input`: a string, or items (messages, function calls, their outputs).
    public enum ResponseInput: Decodable, Sendable {
        case text(String)
        case items([ResponseInputItem])

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .text(text)
            } else {
                self = .items(try container.decode([ResponseInputItem].self))
            }
        }

        /// As chat messages: consecutive function calls join the assistant turn before them.
        func messages() throws -> [ChatMessage] {
            guard case .items(let items) = self else {
                if case .text(let text) = self { return [ChatMessage(role: .user, content: text)] }
                return []
            }
            var messages: [ChatMessage] = []
            for (index, item) in items.enumerated() {
                switch item {
                case .message(let role, let content):
                    let mapped = role == "developer" ? "system" : role
                    guard let role = ChatRole(rawValue: mapped), role != .tool else {
                        throw HearthError.invalidRequest(
                            "'input[\(index)].role' must be user, assistant, system or developer", field: "input[\(index)].role")
                    }
                    messages.append(ChatMessage(role: role, content: content))
                case .functionCall(let call):
                    if let last = messages.last, last.role == .assistant {
                        messages[messages.count - 1].toolCalls = (last.toolCalls ?? []) + [call]
                    } else {
                        messages.append(ChatMessage(role: .assistant, content: "", toolCalls: [call]))
                    }
                case .functionCallOutput(let callID, let output):
                    let name = messages.lazy.compactMap { $0.toolCalls?.first { $0.id == callID }?.name }.first
                    messages.append(ChatMessage(role: .tool, content: output, toolCallID: callID, name: name))
                }
            }
            return messages
        }
    }

    /// One input item: a message (`content` a string or text parts), a `function_call` the
    /// model made, or the `function_call_output` that answers it.
    public enum ResponseInputItem: Codable, Sendable, Equatable {
        case message(role: String, content: String)
        case functionCall(ToolCall)
        case functionCallOutput(callID: String, output: String)

        struct Part: Codable {
            var type: String
            var text: String?
        }

        enum CodingKeys: String, CodingKey {
            case type, role, content, name, arguments, output, id
            case callID = "call_id"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let type = try container.decodeIfPresent(String.self, forKey: .type) ?? "message"
            switch type {
            case "message":
                let role = try container.decode(String.self, forKey: .role)
                if let text = try? container.decode(String.self, forKey: .content) {
                    self = .message(role: role, content: text)
                } else {
                    let parts = try container.decode([Part].self, forKey: .content)
                    guard parts.allSatisfy({ ["input_text", "output_text", "text"].contains($0.type) }) else {
                        throw DecodingError.dataCorruptedError(
                            forKey: .content, in: container, debugDescription: "only text parts (input_text, output_text) are supported")
                    }
                    self = .message(role: role, content: parts.compactMap(\.text).joined())
                }
            case "function_call":
                self = .functionCall(
                    ToolCall(
                        id: try container.decode(String.self, forKey: .callID), name: try container.decode(String.self, forKey: .name),
                        arguments: try container.decode(String.self, forKey: .arguments)))
            case "function_call_output":
                let output: String
                if let text = try? container.decode(String.self, forKey: .output) {
                    output = text
                } else {
                    output = try container.decode([Part].self, forKey: .output).compactMap(\.text).joined()
                }
                self = .functionCallOutput(callID: try container.decode(String.self, forKey: .callID), output: output)
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: .type, in: container,
                    debugDescription: "input items of type '\(type)' are not supported (message, function_call, function_call_output)")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .message(let role, let content):
                try container.encode("message", forKey: .type)
                try container.encode(role, forKey: .role)
                try container.encode(
                    [Part(type: role == "assistant" ? "output_text" : "input_text", text: content)], forKey: .content)
            case .functionCall(let call):
                try container.encode("function_call", forKey: .type)
                try container.encode(call.id, forKey: .callID)
                try container.encode(call.name, forKey: .name)
                try container.encode(call.arguments, forKey: .arguments)
            case .functionCallOutput(let callID, let output):
                try container.encode("function_call_output", forKey: .type)
                try container.encode(callID, forKey: .callID)
                try container.encode(output, forKey: .output)
            }
        }
    }

    /// A function tool, flat: `{"type": "function", "name", "description", "parameters", "strict"}`.
    public struct ResponseTool: Codable, Sendable {
        public var type: String
        public var name: String?
        public var description: String?
        public var parameters: JSONValue?
        public var strict: Bool?

        func native(at index: Int) throws -> Tool {
            guard type == "function", let name else {
                throw HearthError.invalidRequest(
                    "'tools[\(index)]' must be a function tool with a name (built-in tools such as \(type) are not offered)",
                    field: "tools")
            }
            return try ToolDefinition(function: .init(name: name, description: description, parameters: parameters)).native(at: index)
        }
    }

    /// `tool_choice`: `"auto"`, `"none"`, `"required"` or `{"type": "function", "name": …}`.
    public struct ResponseToolChoice: Codable, Sendable {
        public var choice: ToolChoice

        struct Named: Codable {
            var type: String
            var name: String
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let named = try? container.decode(Named.self), named.type == "function" {
                choice = .function(named.name)
            } else {
                choice = try container.decode(ToolChoiceValue.self).choice
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch choice {
            case .function(let name): try container.encode(Named(type: "function", name: name))
            default: try container.encode(ToolChoiceValue(choice))
            }
        }
    }

    /// `text.format`: `text`, `json_object`, or `json_schema` with its `schema` inline.
    public struct ResponseText: Codable, Sendable {
        public struct Format: Codable, Sendable {
            public var type: String
            public var name: String?
            public var schema: JSONValue?
            public var strict: Bool?

            func grammar() throws -> String? {
                try ChatCompletionRequest.ResponseFormat(
                    type: type, jsonSchema: schema.map { .init(name: name, schema: $0, strict: strict) }
                )
                .grammar()
            }
        }

        public var format: Format?
    }
}
