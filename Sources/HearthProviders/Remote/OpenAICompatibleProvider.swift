import Foundation
import HearthCore
import HearthWire

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
            return try await upstream.events("/chat/completions", try Body(request, messages: messages), reader: StreamReader.self)
        case .text(let text):
            var body = Body(request)
            body.prompt = text
            return try await upstream.events("/completions", body, reader: StreamReader.self)
        }
    }

    public func embed(_ request: EmbeddingRequest) async throws -> EmbeddingResult {
        struct Question: Encodable {
            var model: String
            var input: [String]
        }
        let data = try await upstream.json("/embeddings", Question(model: request.model, input: request.inputs))
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

    /// What is sent for a generation: always streamed, with the usage at the end; a
    /// parameter the request leaves out is left out (the upstream's default applies).
    struct Body: Encodable {
        struct StreamOptions: Encodable {
            var includeUsage = true
            enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
        }
        struct Message: Encodable {
            var role: String
            var content: String
            var toolCalls: [Call]?
            var toolCallID: String?
            var name: String?
            enum CodingKeys: String, CodingKey {
                case role, content, name
                case toolCalls = "tool_calls", toolCallID = "tool_call_id"
            }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(role, forKey: .role)
                // An assistant turn that only calls tools has no content: null, as OpenAI sends it.
                if content.isEmpty, toolCalls != nil {
                    try container.encodeNil(forKey: .content)
                } else {
                    try container.encode(content, forKey: .content)
                }
                try container.encodeIfPresent(toolCalls, forKey: .toolCalls)
                try container.encodeIfPresent(toolCallID, forKey: .toolCallID)
                try container.encodeIfPresent(name, forKey: .name)
            }
        }
        struct Function<Details: Encodable>: Encodable {
            var type = "function"
            var function: Details
        }
        struct CalledFunction: Encodable {
            var name: String
            var arguments: String
        }
        struct Call: Encodable {
            var id: String
            var type = "function"
            var function: CalledFunction
        }
        struct DeclaredFunction: Encodable {
            var name: String
            var description: String
            var parameters: JSONValue
        }
        struct NamedFunction: Encodable { var name: String }
        enum Choice: Encodable {
            case mode(String)
            case function(String)
            func encode(to encoder: any Encoder) throws {
                switch self {
                case .mode(let mode): try mode.encode(to: encoder)
                case .function(let name): try Function(function: NamedFunction(name: name)).encode(to: encoder)
                }
            }
        }

        var model: String
        var stream = true
        var streamOptions = StreamOptions()
        var maxTokens: Int?
        var temperature: Double?
        var topP: Double?
        var seed: UInt32?
        var stop: [String]?
        var presencePenalty: Double?
        var frequencyPenalty: Double?
        var messages: [Message]?
        var prompt: String?
        var tools: [Function<DeclaredFunction>]?
        var parallelToolCalls: Bool?
        var toolChoice: Choice?

        enum CodingKeys: String, CodingKey {
            case model, stream, temperature, seed, stop, messages, prompt, tools
            case streamOptions = "stream_options", maxTokens = "max_tokens", topP = "top_p"
            case presencePenalty = "presence_penalty", frequencyPenalty = "frequency_penalty"
            case parallelToolCalls = "parallel_tool_calls", toolChoice = "tool_choice"
        }

        /// The request's model and parameters.
        init(_ request: GenerationRequest) {
            let params = request.params
            model = request.model
            maxTokens = params.maxTokens
            temperature = params.temperature
            topP = params.topP
            seed = params.seed
            stop = params.stop.isEmpty ? nil : params.stop
            presencePenalty = params.presencePenalty
            frequencyPenalty = params.frequencyPenalty
        }

        /// A chat: the parameters, the messages and the tools.
        /// - Throws: `DecodingError` for a tool whose parameters are not JSON.
        init(_ request: GenerationRequest, messages: [ChatMessage]) throws {
            self.init(request)
            self.messages = messages.map { message in
                let calls = message.toolCalls.flatMap { $0.isEmpty ? nil : $0 }
                return Message(
                    role: message.role.rawValue, content: message.content,
                    toolCalls: calls?.map { Call(id: $0.id, function: CalledFunction(name: $0.name, arguments: $0.arguments)) },
                    toolCallID: message.toolCallID, name: message.name)
            }
            guard let tools = request.tools, !tools.tools.isEmpty else { return }
            self.tools = try tools.tools.map { tool in
                Function(
                    function: DeclaredFunction(
                        name: tool.name, description: tool.description,
                        parameters: try JSONDecoder().decode(JSONValue.self, from: Data(tool.parameters.utf8))))
            }
            parallelToolCalls = tools.parallel
            switch tools.choice {
            case .auto: toolChoice = .mode("auto")
            case .none: toolChoice = .mode("none")
            case .required: toolChoice = .mode("required")
            case .function(let name): toolChoice = .function(name)
            }
        }
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
        var choices: [Choice]?
        var usage: Chunk.Counts?
        var error: Chunk.ErrorBody?
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
            let answer = try? JSONDecoder().decode(Whole.self, from: Data(whole))
            if let error = answer?.error { throw HearthError(.unreachable, "the provider failed: \(error.message.prefix(500))") }
            guard let choice = answer?.choices?.first else { throw HearthError(.unreachable, "the provider answered in an unknown shape") }
            var events: [TokenEvent] = []
            if let text = choice.message?.content ?? choice.text, !text.isEmpty {
                pieces += 1
                events.append(.text(text))
            }
            for (index, call) in (choice.message?.toolCalls ?? []).enumerated() {
                calls[index] = (id: call.id ?? ToolCall.newID(), name: call.function?.name ?? "", arguments: call.function?.arguments ?? "")
            }
            reason = choice.finishReason == "length" ? .length : .stop
            if let counts = answer?.usage {
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
