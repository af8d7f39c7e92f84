import Foundation
import HearthCore

/// Any OpenAI-compatible server (llama-server, vLLM, another Hearth, OpenAI itself): chat
/// and completions streamed back as token events (tool calls passed through), embeddings.
/// It serves the upstream model names the configuration routes to it. Connections are kept
/// alive in AsyncHTTPClient's pool; a client that goes away closes the upstream stream.
public struct OpenAICompatibleProvider: RemoteProvider {
    public let name: String
    let upstream: Upstream
    /// The upstream models routed here.
    public let upstreamModels: Set<String>

    public init(
        name: String, baseURL: String, apiKey: String? = nil, headers: [String: String] = [:], models: Set<String>,
        firstByteTimeout: Int64 = 120
    ) {
        self.name = name
        upstream = Upstream(name: name, baseURL: baseURL, apiKey: apiKey, headers: headers, firstByteTimeout: firstByteTimeout)
        upstreamModels = models
    }

    public func generate(_ request: GenerationRequest) async throws -> AsyncThrowingStream<TokenEvent, any Error> {
        switch request.prompt {
        case .chat(let messages):
            return try await upstream.events("/chat/completions", try chatBody(request, messages: messages), reader: StreamReader.self)
        case .text(let text):
            var object = parameters(request)
            object["prompt"] = text
            return try await upstream.events("/completions", object, reader: StreamReader.self)
        }
    }

    public func embed(_ request: EmbeddingRequest) async throws -> EmbeddingResult {
        let data = try await upstream.json("/embeddings", ["model": request.model, "input": request.inputs])
        struct Answer: Decodable {
            struct Item: Decodable { var embedding: [Float] }
            struct Usage: Decodable {
                var promptTokens: Int?
                enum CodingKeys: String, CodingKey { case promptTokens = "prompt_tokens" }
            }
            var data: [Item]
            var usage: Usage?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: data) else {
            throw HearthError(.unreachable, "the provider \(name) answered embeddings in an unknown shape")
        }
        return EmbeddingResult(vectors: answer.data.map(\.embedding), promptTokens: answer.usage?.promptTokens ?? 0)
    }

    // MARK: - Requests

    func parameters(_ request: GenerationRequest) -> [String: Any] {
        var object: [String: Any] = ["model": request.model, "stream": true, "stream_options": ["include_usage": true]]
        let params = request.params
        if let value = params.maxTokens { object["max_tokens"] = value }
        if let value = params.temperature { object["temperature"] = value }
        if let value = params.topP { object["top_p"] = value }
        if let value = params.seed { object["seed"] = value }
        if !params.stop.isEmpty { object["stop"] = params.stop }
        if let value = params.presencePenalty { object["presence_penalty"] = value }
        if let value = params.frequencyPenalty { object["frequency_penalty"] = value }
        return object
    }

    func chatBody(_ request: GenerationRequest, messages: [ChatMessage]) throws -> [String: Any] {
        var object = parameters(request)
        object["messages"] = messages.map { message -> [String: Any] in
            var item: [String: Any] = ["role": message.role.rawValue, "content": message.content]
            if let calls = message.toolCalls, !calls.isEmpty {
                item["tool_calls"] = calls.map {
                    ["id": $0.id, "type": "function", "function": ["name": $0.name, "arguments": $0.arguments]] as [String: Any]
                }
                if message.content.isEmpty { item["content"] = NSNull() }
            }
            if let id = message.toolCallID { item["tool_call_id"] = id }
            if let name = message.name { item["name"] = name }
            return item
        }
        if let tools = request.tools, !tools.tools.isEmpty {
            object["tools"] = try tools.tools.map { tool -> [String: Any] in
                let parameters = try JSONSerialization.jsonObject(with: Data(tool.parameters.utf8))
                return ["type": "function", "function": ["name": tool.name, "description": tool.description, "parameters": parameters]]
            }
            object["parallel_tool_calls"] = tools.parallel
            switch tools.choice {
            case .auto: object["tool_choice"] = "auto"
            case .none: object["tool_choice"] = "none"
            case .required: object["tool_choice"] = "required"
            case .function(let name): object["tool_choice"] = ["type": "function", "function": ["name": name]]
            }
        }
        return object
    }
}

/// Reads an OpenAI stream (`data:` lines of chunks, then `[DONE]`) into token events: text as
/// it comes, tool calls once their fragments are complete (before the end), the end with its
/// reason and usage.
/// Reads an OpenAI answer: server-sent events (`data: {chunk}` lines, then `[DONE]`), or the
/// whole JSON object from an upstream that does not stream (some servers and proxies ignore
/// `stream: true`). An answer in neither shape is an error, never an empty answer.
struct StreamReader: TokenStreamReader {
    /// Bytes of a line not complete yet (a character may be split between reads).
    private var pending: [UInt8] = []
    /// The whole body, when it is one JSON object instead of events.
    private var whole: [UInt8]?
    private var sawEvent = false
    private(set) var finished = false
    private var calls: [Int: (id: String, name: String, arguments: String)] = [:]
    private var reason = FinishReason.stop
    private var usage = Usage(promptTokens: 0, completionTokens: 0)
    private var pieces = 0

    struct Chunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable {
                struct Call: Decodable {
                    struct Function: Decodable {
                        var name: String?
                        var arguments: String?
                    }
                    var index: Int?
                    var id: String?
                    var function: Function?
                }
                var content: String?
                var toolCalls: [Call]?
                enum CodingKeys: String, CodingKey {
                    case content
                    case toolCalls = "tool_calls"
                }
            }
            var delta: Delta?
            var text: String?
            var finishReason: String?
            enum CodingKeys: String, CodingKey {
                case delta, text
                case finishReason = "finish_reason"
            }
        }
        struct Counts: Decodable {
            var promptTokens: Int?
            var completionTokens: Int?
            enum CodingKeys: String, CodingKey {
                case promptTokens = "prompt_tokens", completionTokens = "completion_tokens"
            }
        }
        var choices: [Choice]?
        var usage: Counts?
        var error: ErrorBody?
        struct ErrorBody: Decodable { var message: String }
    }

    /// A non-streamed answer: `chat.completion` (`message`) or `text_completion` (`text`).
    struct Whole: Decodable {
        struct Choice: Decodable {
            struct Message: Decodable {
                var content: String?
                var toolCalls: [Chunk.Choice.Delta.Call]?
                enum CodingKeys: String, CodingKey {
                    case content
                    case toolCalls = "tool_calls"
                }
            }
            var message: Message?
            var text: String?
            var finishReason: String?
            enum CodingKeys: String, CodingKey {
                case message, text
                case finishReason = "finish_reason"
            }
        }
        var choices: [Choice]
        var usage: Chunk.Counts?
    }

    mutating func feed(_ bytes: [UInt8]) throws -> [TokenEvent] {
        if whole != nil {
            whole! += bytes
            return []
        }
        pending += bytes
        if !sawEvent, let first = pending.first(where: { !Self.isSpace($0) }), first == UInt8(ascii: "{") {
            whole = pending
            pending = []
            return []
        }
        var events: [TokenEvent] = []
        while let newline = pending.firstIndex(of: 0x0A) {
            // Lines end with LF or CRLF; each is whole UTF-8 once its LF has come.
            let line = String(decoding: pending[..<newline], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            pending.removeSubrange(...newline)
            guard line.hasPrefix("data:") else { continue }
            sawEvent = true
            let payload = line.dropFirst(5).trimmingCharacters(in: .whitespaces)
            if payload == "[DONE]" {
                finished = true
                return events + end()
            }
            guard let chunk = try? JSONDecoder().decode(Chunk.self, from: Data(payload.utf8)) else { continue }
            if let error = chunk.error { throw HearthError(.unreachable, "the provider failed: \(error.message.prefix(500))") }
            if let counts = chunk.usage {
                usage = Usage(promptTokens: counts.promptTokens ?? 0, completionTokens: counts.completionTokens ?? 0)
            }
            for choice in chunk.choices ?? [] {
                if let piece = choice.delta?.content ?? choice.text, !piece.isEmpty {
                    pieces += 1
                    events.append(.text(piece))
                }
                for call in choice.delta?.toolCalls ?? [] {
                    let index = call.index ?? calls.count
                    var current = calls[index] ?? (id: call.id ?? ToolCall.newID(), name: "", arguments: "")
                    if let id = call.id { current.id = id }
                    current.name += call.function?.name ?? ""
                    current.arguments += call.function?.arguments ?? ""
                    calls[index] = current
                }
                switch choice.finishReason {
                case "length": reason = .length
                case "tool_calls": reason = .toolCalls
                case .some: reason = calls.isEmpty ? .stop : .toolCalls
                case nil: break
                }
            }
        }
        return events
    }

    /// The end of the body: a whole answer's events, or the end of a stream without `[DONE]`
    /// (some servers close instead).
    /// - Throws: `HearthError.unreachable` for a body that is neither events nor an answer.
    mutating func finish() throws -> [TokenEvent] {
        if let whole {
            if let error = try? JSONDecoder().decode(Chunk.self, from: Data(whole)).error {
                throw HearthError(.unreachable, "the provider failed: \(error.message.prefix(500))")
            }
            guard let answer = try? JSONDecoder().decode(Whole.self, from: Data(whole)), let choice = answer.choices.first else {
                throw HearthError(.unreachable, "the provider answered in an unknown shape")
            }
            var events: [TokenEvent] = []
            if let text = choice.message?.content ?? choice.text, !text.isEmpty {
                pieces += 1
                events.append(.text(text))
            }
            for (index, call) in (choice.message?.toolCalls ?? []).enumerated() {
                calls[index] = (id: call.id ?? ToolCall.newID(), name: call.function?.name ?? "", arguments: call.function?.arguments ?? "")
            }
            reason = choice.finishReason == "length" ? .length : .stop
            if let counts = answer.usage {
                usage = Usage(promptTokens: counts.promptTokens ?? 0, completionTokens: counts.completionTokens ?? 0)
            }
            return events + end()
        }
        guard !finished else { return [] }
        guard sawEvent else { throw HearthError(.unreachable, "the provider answered in an unknown shape (no events)") }
        return end()
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    private mutating func end() -> [TokenEvent] {
        finished = true
        let done = calls.keys.sorted().map { index -> TokenEvent in
            let call = calls[index]!
            return .toolCall(ToolCall(id: call.id, name: call.name, arguments: call.arguments.isEmpty ? "{}" : call.arguments))
        }
        if usage.completionTokens == 0 { usage.completionTokens = pieces }
        return done + [.done(calls.isEmpty ? reason : .toolCalls, usage)]
    }
}
