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

        /// The MCP servers whose tools the server runs for this response (see `ResponseTool`).
        /// - Throws: `HearthError.invalidRequest` for an mcp tool Hearth cannot offer.
        public var mcpServers: [MCPServerTools] {
            get throws {
                guard let tools else { return [] }
                let servers = try tools.enumerated().filter { $1.type == "mcp" }.map { try $1.server(at: $0) }
                if !servers.isEmpty, text?.format.map({ $0.type != "text" }) == true {
                    throw HearthError.invalidRequest("'text.format' cannot be combined with mcp tools", field: "text")
                }
                return servers
            }
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
            let functions = try tools?.enumerated().filter { $1.type != "mcp" }.map { try $1.native(at: $0) }
            let toolUse = try OpenAI.toolUse(
                functions, choice: mcpServers.isEmpty ? toolChoice?.choice : nil, parallel: parallelToolCalls, besides: params.grammar,
                formatField: "text")
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
                case .message(let role, let content, let images):
                    let mapped = role == "developer" ? "system" : role
                    guard let role = ChatRole(rawValue: mapped), role != .tool else {
                        throw HearthError.invalidRequest(
                            "'input[\(index)].role' must be user, assistant, system or developer", field: "input[\(index)].role")
                    }
                    messages.append(ChatMessage(role: role, content: content, images: images.isEmpty ? nil : images))
                case .functionCall(let call):
                    if let last = messages.last, last.role == .assistant {
                        messages[messages.count - 1].toolCalls = (last.toolCalls ?? []) + [call]
                    } else {
                        messages.append(ChatMessage(role: .assistant, content: "", toolCalls: [call]))
                    }
                case .functionCallOutput(let callID, let output):
                    let name = messages.lazy.compactMap { $0.toolCalls?.first { $0.id == callID }?.name }.first
                    messages.append(ChatMessage(role: .tool, content: output, toolCallID: callID, name: name))
                case .mcpCall(_, let label, let call, let output):
                    // The server's own call and its result, sent back as history.
                    let name = label == "hearth" ? call.name : label + "." + call.name
                    let asked = ToolCall(id: call.id, name: name, arguments: call.arguments)
                    if let last = messages.last, last.role == .assistant {
                        messages[messages.count - 1].toolCalls = (last.toolCalls ?? []) + [asked]
                    } else {
                        messages.append(ChatMessage(role: .assistant, content: "", toolCalls: [asked]))
                    }
                    let text = output.isError ? "Error: " + output.text : output.text
                    messages.append(ChatMessage(role: .tool, content: text, toolCallID: call.id, name: name))
                }
            }
            return messages
        }
    }

    /// One input item: a message (`content` a string or text parts), a `function_call` the
    /// model made, the `function_call_output` that answers it, or an `mcp_call` the server
    /// ran (an earlier response's output sent back).
    public enum ResponseInputItem: Codable, Sendable, Equatable {
        /// `images`: the bytes of `input_image` parts (base64 `data:` URLs), read by OCR; kept
        /// items show the text only.
        case message(role: String, content: String, images: [Data] = [])
        case functionCall(ToolCall)
        case functionCallOutput(callID: String, output: String)
        case mcpCall(id: String, serverLabel: String, call: ToolCall, output: SkillOutput)

        struct Part: Codable {
            var type: String
            var text: String?
            var imageURL: String?

            enum CodingKeys: String, CodingKey {
                case type, text
                case imageURL = "image_url"
            }
        }

        enum CodingKeys: String, CodingKey {
            case type, role, content, name, arguments, output, id, error
            case callID = "call_id", serverLabel = "server_label"
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
                    guard parts.allSatisfy({ ["input_text", "output_text", "text", "input_image"].contains($0.type) }) else {
                        throw DecodingError.dataCorruptedError(
                            forKey: .content, in: container,
                            debugDescription: "only text parts (input_text, output_text) and input_image are supported")
                    }
                    let images = try parts.filter { $0.type == "input_image" }.map { part in
                        guard let data = part.imageURL.flatMap(DataURL.decode) else {
                            throw DecodingError.dataCorruptedError(
                                forKey: .content, in: container,
                                debugDescription:
                                    "an input_image must have a base64 data: URL as image_url (Hearth fetches no remote images)")
                        }
                        return data
                    }
                    self = .message(role: role, content: parts.compactMap(\.text).joined(), images: images)
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
            case "mcp_call":
                let id = try container.decode(String.self, forKey: .id)
                let call = ToolCall(
                    id: id, name: try container.decode(String.self, forKey: .name),
                    arguments: try container.decodeIfPresent(String.self, forKey: .arguments) ?? "{}")
                let output = try container.decodeIfPresent(String.self, forKey: .output)
                let error = try container.decodeIfPresent(String.self, forKey: .error)
                self = .mcpCall(
                    id: id, serverLabel: try container.decode(String.self, forKey: .serverLabel), call: call,
                    output: error.map(SkillOutput.failure) ?? SkillOutput(output ?? ""))
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: .type, in: container,
                    debugDescription:
                        "input items of type '\(type)' are not supported (message, function_call, function_call_output, mcp_call)")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .message(let role, let content, _):
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
            case .mcpCall(let id, let label, let call, let output):
                try container.encode("mcp_call", forKey: .type)
                try container.encode(id, forKey: .id)
                try container.encode(label, forKey: .serverLabel)
                try container.encode(call.name, forKey: .name)
                try container.encode(call.arguments, forKey: .arguments)
                try container.encode(output.isError ? nil : output.text, forKey: .output)
                try container.encode(output.isError ? output.text : nil, forKey: .error)
            }
        }
    }

    /// A tool, flat: a function the client runs (`{"type": "function", "name", "description",
    /// "parameters", "strict"}`), or MCP tools the server runs (`{"type": "mcp",
    /// "server_label", "allowed_tools", "require_approval": "never"}`): the label `hearth` is
    /// Hearth's own skills, another label the tools of the MCP server configured by that name.
    public struct ResponseTool: Codable, Sendable {
        public var type: String
        public var name: String?
        public var description: String?
        public var parameters: JSONValue?
        public var strict: Bool?
        public var serverLabel: String?
        public var serverURL: String?
        public var allowedTools: JSONValue?
        public var requireApproval: JSONValue?

        enum CodingKeys: String, CodingKey {
            case type, name, description, parameters, strict
            case serverLabel = "server_label", serverURL = "server_url", allowedTools = "allowed_tools"
            case requireApproval = "require_approval"
        }

        func native(at index: Int) throws -> Tool {
            guard type == "function", let name else {
                throw HearthError.invalidRequest(
                    "'tools[\(index)]' must be a function tool with a name, or an mcp tool (built-in tools such as \(type) are not offered)",
                    field: "tools")
            }
            return try ToolDefinition(function: .init(name: name, description: description, parameters: parameters)).native(at: index)
        }

        /// The MCP server this tool offers, and the tool names allowed (nil: all).
        func server(at index: Int) throws -> MCPServerTools {
            guard let label = serverLabel, !label.isEmpty else {
                throw HearthError.invalidRequest("'tools[\(index)].server_label' is required for an mcp tool", field: "tools")
            }
            guard serverURL == nil else {
                throw HearthError.invalidRequest(
                    "'tools[\(index)].server_url': Hearth reaches only the MCP servers its configuration names (use their name as server_label, or 'hearth' for its skills)",
                    field: "tools")
            }
            switch requireApproval {
            case nil, .string("never")?: break
            default:
                throw HearthError.invalidRequest(
                    "'tools[\(index)].require_approval': Hearth runs MCP tools without approval requests; set it to \"never\"",
                    field: "tools")
            }
            var allowed: [String]?
            switch allowedTools {
            case nil, .null?: allowed = nil
            case .array(let names)?: allowed = names.compactMap { if case .string(let name) = $0 { name } else { nil } }
            case .object(let filter)?:
                // Only a list of names is honoured: a filter Hearth cannot apply (`read_only`)
                // must not widen into every tool.
                guard Set(filter.keys) == ["tool_names"], case .array(let names)? = filter["tool_names"] else {
                    throw HearthError.invalidRequest(
                        "'tools[\(index)].allowed_tools' may only name tools ({\"tool_names\": […]})", field: "tools")
                }
                allowed = names.compactMap { if case .string(let name) = $0 { name } else { nil } }
            default:
                throw HearthError.invalidRequest("'tools[\(index)].allowed_tools' must be a list of tool names", field: "tools")
            }
            return MCPServerTools(label: label, allowed: allowed)
        }
    }

    /// The tools of one MCP server a response may run.
    public struct MCPServerTools: Sendable, Equatable {
        /// `hearth` (Hearth's skills) or the name of an MCP server in the configuration.
        public var label: String
        /// Tool names as that server calls them; nil: all of them.
        public var allowed: [String]?
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
