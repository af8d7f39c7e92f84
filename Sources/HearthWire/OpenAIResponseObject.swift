import Foundation
import HearthCore

/// The response object of OpenAI's Responses API, its output items and its stream events.
extension OpenAI {
    public struct Response: Encodable, Sendable {
        public var id: String
        public var object = "response"
        public var createdAt: Int
        /// `completed`, `incomplete` (cut by `max_output_tokens`) or `in_progress` (streams only).
        public var status: String
        public var model: String
        public var output: [OutputItem]
        public var usage: ResponseUsage?
        public var instructions: String?
        public var maxOutputTokens: Int?
        public var parallelToolCalls: Bool
        public var previousResponseID: String?
        public var store: Bool
        public var temperature: Double?
        public var topP: Double?
        public var text: ResponseText
        public var toolChoice: ResponseToolChoice
        public var tools: [ResponseTool]
        public var truncation = "disabled"
        public var metadata: [String: String]
        public var incompleteDetails: IncompleteDetails?
        public var error: JSONValue? = nil

        public struct IncompleteDetails: Codable, Sendable {
            public var reason: String
        }

        enum CodingKeys: String, CodingKey {
            case id, object, status, model, output, usage, instructions, store, temperature, text, tools, truncation, metadata, error
            case createdAt = "created_at", maxOutputTokens = "max_output_tokens", parallelToolCalls = "parallel_tool_calls"
            case previousResponseID = "previous_response_id", topP = "top_p", toolChoice = "tool_choice"
            case incompleteDetails = "incomplete_details"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(object, forKey: .object)
            try container.encode(createdAt, forKey: .createdAt)
            try container.encode(status, forKey: .status)
            try container.encode(model, forKey: .model)
            try container.encode(output, forKey: .output)
            try container.encode(usage, forKey: .usage)
            try container.encode(instructions, forKey: .instructions)
            try container.encode(maxOutputTokens, forKey: .maxOutputTokens)
            try container.encode(parallelToolCalls, forKey: .parallelToolCalls)
            try container.encode(previousResponseID, forKey: .previousResponseID)
            try container.encode(store, forKey: .store)
            try container.encode(temperature, forKey: .temperature)
            try container.encode(topP, forKey: .topP)
            try container.encode(text, forKey: .text)
            try container.encode(toolChoice, forKey: .toolChoice)
            try container.encode(tools, forKey: .tools)
            try container.encode(truncation, forKey: .truncation)
            try container.encode(metadata, forKey: .metadata)
            try container.encode(incompleteDetails, forKey: .incompleteDetails)
            try container.encode(error, forKey: .error)
        }

        /// A response to `request` with `output` so far; `status` in_progress until `finish`.
        public init(id: String, createdAt: Int, model: String, request: ResponseRequest, output: [OutputItem] = []) {
            self.id = id
            self.createdAt = createdAt
            status = "in_progress"
            self.model = model
            self.output = output
            instructions = request.instructions
            maxOutputTokens = request.maxOutputTokens
            parallelToolCalls = request.parallelToolCalls ?? true
            previousResponseID = request.previousResponseID
            store = request.store ?? true
            temperature = request.temperature
            topP = request.topP
            text = request.text ?? ResponseText(format: .init(type: "text"))
            toolChoice = request.toolChoice ?? ResponseToolChoice(.auto)
            tools = request.tools ?? []
            metadata = request.metadata ?? [:]
        }

        /// Ended: `completed`, or `incomplete` when cut by the token limit.
        public mutating func finish(_ reason: FinishReason, usage: HearthCore.Usage) {
            status = reason == .length ? "incomplete" : "completed"
            incompleteDetails = reason == .length ? IncompleteDetails(reason: "max_output_tokens") : nil
            self.usage = ResponseUsage(usage)
        }
    }

    public struct ResponseUsage: Codable, Sendable {
        public var inputTokens: Int
        public var outputTokens: Int
        public var totalTokens: Int
        public var inputTokensDetails = ["cached_tokens": 0]
        public var outputTokensDetails = ["reasoning_tokens": 0]

        enum CodingKeys: String, CodingKey {
            case inputTokens = "input_tokens", outputTokens = "output_tokens", totalTokens = "total_tokens"
            case inputTokensDetails = "input_tokens_details", outputTokensDetails = "output_tokens_details"
        }

        public init(_ usage: HearthCore.Usage) {
            inputTokens = usage.promptTokens
            outputTokens = usage.completionTokens
            totalTokens = usage.totalTokens
        }
    }

    /// An output item: the assistant's message (`output_text` parts), a call of the client's
    /// function, or an MCP tool the server ran (`mcp_call`, with its output or error).
    public enum OutputItem: Encodable, Sendable {
        case message(id: String, text: String, status: String)
        case functionCall(id: String, call: ToolCall, status: String)
        case mcpCall(id: String, serverLabel: String, call: ToolCall, output: SkillOutput?, status: String)

        enum CodingKeys: String, CodingKey {
            case type, id, status, role, content, name, arguments, output, error
            case callID = "call_id", serverLabel = "server_label"
        }

        struct Part: Codable {
            var type = "output_text"
            var text: String
            var annotations: [JSONValue] = []
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .message(let id, let text, let status):
                try container.encode("message", forKey: .type)
                try container.encode(id, forKey: .id)
                try container.encode(status, forKey: .status)
                try container.encode("assistant", forKey: .role)
                try container.encode(status == "in_progress" && text.isEmpty ? [] : [Part(text: text)], forKey: .content)
            case .functionCall(let id, let call, let status):
                try container.encode("function_call", forKey: .type)
                try container.encode(id, forKey: .id)
                try container.encode(call.id, forKey: .callID)
                try container.encode(call.name, forKey: .name)
                try container.encode(call.arguments, forKey: .arguments)
                try container.encode(status, forKey: .status)
            case .mcpCall(let id, let label, let call, let output, let status):
                try container.encode("mcp_call", forKey: .type)
                try container.encode(id, forKey: .id)
                try container.encode(label, forKey: .serverLabel)
                try container.encode(call.name, forKey: .name)
                try container.encode(call.arguments, forKey: .arguments)
                try container.encode(output.flatMap { $0.isError ? nil : $0.text }, forKey: .output)
                try container.encode(output.flatMap { $0.isError ? $0.text : nil }, forKey: .error)
                try container.encode(status, forKey: .status)
            }
        }

        /// What a later request sends back as input for this item.
        public var input: ResponseInputItem {
            switch self {
            case .message(_, let text, _): .message(role: "assistant", content: text)
            case .functionCall(_, let call, _): .functionCall(call)
            case .mcpCall(let id, let label, let call, let output, _):
                .mcpCall(id: id, serverLabel: label, call: call, output: output ?? .failure("it did not finish"))
            }
        }
    }

    /// One event of a streamed response (`data:` of an SSE event named by its `type`).
    public struct ResponseEvent: Encodable, Sendable {
        public var type: String
        public var sequenceNumber: Int
        public var response: Response?
        public var outputIndex: Int?
        public var item: OutputItem?
        public var itemID: String?
        public var contentIndex: Int?
        public var part: JSONValue?
        public var delta: String?
        public var text: String?
        public var arguments: String?

        enum CodingKeys: String, CodingKey {
            case type, response, item, part, delta, text, arguments
            case sequenceNumber = "sequence_number", outputIndex = "output_index", itemID = "item_id", contentIndex = "content_index"
        }

        public init(
            _ type: String, _ sequenceNumber: Int, response: Response? = nil, outputIndex: Int? = nil, item: OutputItem? = nil,
            itemID: String? = nil, contentIndex: Int? = nil, part: JSONValue? = nil, delta: String? = nil, text: String? = nil,
            arguments: String? = nil
        ) {
            self.type = type
            self.sequenceNumber = sequenceNumber
            self.response = response
            self.outputIndex = outputIndex
            self.item = item
            self.itemID = itemID
            self.contentIndex = contentIndex
            self.part = part
            self.delta = delta
            self.text = text
            self.arguments = arguments
        }

        /// An `output_text` part holding `text`.
        public static func textPart(_ text: String) -> JSONValue {
            .object(["type": .string("output_text"), "text": .string(text), "annotations": .array([])])
        }

        /// The SSE block: `event: TYPE` and the JSON.
        public var block: String {
            get throws { "event: \(type)\n" + (try ServerSentEvents.event(self)) }
        }
    }

    /// `DELETE /v1/responses/{id}`.
    public struct ResponseDeleted: Codable, Sendable {
        public var id: String
        public var object = "response"
        public var deleted = true

        public init(id: String) { self.id = id }
    }

    /// `GET /v1/responses/{id}/input_items`.
    public struct ResponseInputItems: Encodable, Sendable {
        public var object = "list"
        public var data: [JSONValue]
        public var firstID: String?
        public var lastID: String?
        public var hasMore = false

        enum CodingKeys: String, CodingKey {
            case object, data
            case firstID = "first_id", lastID = "last_id", hasMore = "has_more"
        }

        public init(data: [JSONValue]) {
            self.data = data
            firstID = data.first.flatMap { if case .object(let item) = $0, case .string(let id) = item["id"] { id } else { nil } }
            lastID = data.last.flatMap { if case .object(let item) = $0, case .string(let id) = item["id"] { id } else { nil } }
        }
    }
}

extension OpenAI.ResponseToolChoice {
    public init(_ choice: ToolChoice) { self.choice = choice }
}

extension OpenAI.ResponseText {
    public init(format: Format) { self.format = format }
}

extension OpenAI.ResponseText.Format {
    public init(type: String) { self.type = type }
}
