import Foundation
import HearthCore
import HearthWire

/// An Ollama server (or anything speaking its native API): `/api/chat` and `/api/generate`
/// streamed as NDJSON into token events (tool calls passed through), `/api/embed`.
public struct OllamaProvider: RemoteProvider {
    public let name: String
    let upstream: Upstream
    /// The upstream models routed here.
    public let upstreamModels: Set<String>

    /// - Parameter baseURL: the server's root (`http://host:11434`), without `/api`.
    public init(
        name: String, baseURL: String, apiKey: String? = nil, headers: [String: String] = [:], models: Set<String>,
        firstByteTimeout: Int64 = 120
    ) {
        self.name = name
        upstream = Upstream(name: name, baseURL: baseURL, apiKey: apiKey, headers: headers, firstByteTimeout: firstByteTimeout)
        upstreamModels = models
    }

    public func generate(_ request: GenerationRequest) async throws -> AsyncThrowingStream<TokenEvent, any Error> {
        var body = Body(model: request.model, options: Options(request.params))
        let path: String
        switch request.prompt {
        case .chat(let messages):
            path = "/api/chat"
            body.messages = messages.map(Message.init)
            if let tools = request.tools, tools.offersCalls {
                body.tools = try tools.tools.map { tool in
                    Tool(
                        function: .init(
                            name: tool.name, description: tool.description,
                            parameters: try JSONDecoder().decode(JSONValue.self, from: Data(tool.parameters.utf8))))
                }
            }
        case .text(let text):
            path = "/api/generate"
            body.prompt = text
            body.raw = true
        }
        return try await upstream.events(path, body, reader: OllamaStreamReader.self)
    }

    public func embed(_ request: EmbeddingRequest) async throws -> EmbeddingResult {
        struct Question: Encodable {
            var model: String
            var input: [String]
        }
        let data = try await upstream.json("/api/embed", Question(model: request.model, input: request.inputs))
        struct Answer: Decodable {
            var embeddings: [[Float]]
            var promptEvalCount: Int?
            enum CodingKeys: String, CodingKey {
                case embeddings
                case promptEvalCount = "prompt_eval_count"
            }
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: data) else {
            throw HearthError(.unreachable, "the provider \(name) answered embeddings in an unknown shape")
        }
        return EmbeddingResult(vectors: answer.embeddings, promptTokens: answer.promptEvalCount ?? 0)
    }

    /// What is sent for a generation (always streamed).
    struct Body: Encodable {
        var model: String
        var stream = true
        var options: Options
        var messages: [Message]?
        var tools: [Tool]?
        var prompt: String?
        var raw: Bool?
    }

    /// The parameters the request sets, under Ollama's names.
    struct Options: Encodable {
        var numPredict: Int?
        var temperature: Double?
        var topP: Double?
        var topK: Int?
        var seed: UInt32?
        var stop: [String]?
        var presencePenalty: Double?
        var frequencyPenalty: Double?
        var repeatPenalty: Double?
        enum CodingKeys: String, CodingKey {
            case temperature, seed, stop
            case numPredict = "num_predict", topP = "top_p", topK = "top_k", presencePenalty = "presence_penalty"
            case frequencyPenalty = "frequency_penalty", repeatPenalty = "repeat_penalty"
        }

        init(_ params: GenerationParams) {
            numPredict = params.maxTokens
            temperature = params.temperature
            topP = params.topP
            topK = params.topK
            seed = params.seed
            stop = params.stop.isEmpty ? nil : params.stop
            presencePenalty = params.presencePenalty
            frequencyPenalty = params.frequencyPenalty
            repeatPenalty = params.repeatPenalty
        }
    }

    /// A message in Ollama's shape: calls with object arguments, a tool's result with its name.
    struct Message: Encodable {
        struct Call: Encodable {
            struct Function: Encodable {
                var name: String
                var arguments: JSONValue
            }
            var function: Function
        }
        var role: String
        var content: String
        var toolCalls: [Call]?
        var toolName: String?
        enum CodingKeys: String, CodingKey {
            case role, content
            case toolCalls = "tool_calls", toolName = "tool_name"
        }

        init(_ message: ChatMessage) {
            role = message.role.rawValue
            content = message.content
            if let calls = message.toolCalls, !calls.isEmpty {
                // Arguments that are not a JSON object go as an empty one.
                toolCalls = calls.map { call in
                    let arguments = (try? JSONDecoder().decode(JSONValue.self, from: Data(call.arguments.utf8))).flatMap {
                        if case .object = $0 { $0 } else { nil }
                    }
                    return Call(function: .init(name: call.name, arguments: arguments ?? .object([:])))
                }
            }
            if message.role == .tool { toolName = message.name }
        }
    }

    struct Tool: Encodable {
        struct Function: Encodable {
            var name: String
            var description: String
            var parameters: JSONValue
        }
        var type = "function"
        var function: Function
    }
}

/// Reads Ollama's NDJSON answer: text as it comes, calls as they come, the end with its
/// reason and token counts; an `{"error": …}` line is an error.
struct OllamaStreamReader: TokenStreamReader {
    private var pending: [UInt8] = []
    private(set) var finished = false
    private var sawCalls = false

    struct Line: Decodable {
        struct Message: Decodable {
            struct Call: Decodable {
                struct Function: Decodable {
                    var name: String
                    var arguments: JSONArguments?
                }
                var function: Function
            }
            var content: String?
            var toolCalls: [Call]?
            enum CodingKeys: String, CodingKey {
                case content
                case toolCalls = "tool_calls"
            }
        }
        var message: Message?
        var response: String?
        var done: Bool?
        var doneReason: String?
        var promptEvalCount: Int?
        var evalCount: Int?
        var error: String?
        enum CodingKeys: String, CodingKey {
            case message, response, done, error
            case doneReason = "done_reason", promptEvalCount = "prompt_eval_count", evalCount = "eval_count"
        }
    }

    /// Arguments as Ollama sends them (an object), kept as JSON text.
    struct JSONArguments: Decodable {
        var text: String
        init(from decoder: any Decoder) throws {
            let value = try decoder.singleValueContainer().decode(JSONValue.self)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            text = String(decoding: try encoder.encode(value), as: UTF8.self)
        }
    }

    mutating func feed(_ bytes: [UInt8]) throws -> [TokenEvent] {
        pending += bytes
        var events: [TokenEvent] = []
        while let newline = pending.firstIndex(of: 0x0A) {
            let data = Data(pending[..<newline])
            pending.removeSubrange(...newline)
            guard !data.allSatisfy({ $0 == 0x20 || $0 == 0x0D }), let line = try? JSONDecoder().decode(Line.self, from: data) else {
                continue
            }
            if let error = line.error { throw HearthError(.unreachable, "the provider failed: \(error.prefix(500))") }
            if let text = line.message?.content ?? line.response, !text.isEmpty { events.append(.text(text)) }
            for call in line.message?.toolCalls ?? [] {
                sawCalls = true
                events.append(.toolCall(ToolCall(name: call.function.name, arguments: call.function.arguments?.text ?? "{}")))
            }
            if line.done == true {
                finished = true
                let reason: FinishReason = sawCalls ? .toolCalls : line.doneReason == "length" ? .length : .stop
                events.append(.done(reason, Usage(promptTokens: line.promptEvalCount ?? 0, completionTokens: line.evalCount ?? 0)))
                return events
            }
        }
        return events
    }

    /// Ollama always ends with a `done` line: a body ending without one was cut off.
    func finish() throws -> [TokenEvent] {
        guard finished else { throw HearthError(.unreachable, "the provider ended its answer early") }
        return []
    }
}
