import Foundation
import HearthCore

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
        var object: [String: Any] = ["model": request.model, "stream": true, "options": options(request.params)]
        let path: String
        switch request.prompt {
        case .chat(let messages):
            path = "/api/chat"
            object["messages"] = try messages.map(Self.message)
            if let tools = request.tools, tools.offersCalls {
                object["tools"] = try tools.tools.map { tool -> [String: Any] in
                    let parameters = try JSONSerialization.jsonObject(with: Data(tool.parameters.utf8))
                    return [
                        "type": "function", "function": ["name": tool.name, "description": tool.description, "parameters": parameters],
                    ]
                }
            }
        case .text(let text):
            path = "/api/generate"
            object["prompt"] = text
            object["raw"] = true
        }
        return try await upstream.events(path, object, reader: OllamaStreamReader.self)
    }

    public func embed(_ request: EmbeddingRequest) async throws -> EmbeddingResult {
        let data = try await upstream.json("/api/embed", ["model": request.model, "input": request.inputs])
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

    func options(_ params: GenerationParams) -> [String: Any] {
        var options: [String: Any] = [:]
        if let value = params.maxTokens { options["num_predict"] = value }
        if let value = params.temperature { options["temperature"] = value }
        if let value = params.topP { options["top_p"] = value }
        if let value = params.topK { options["top_k"] = value }
        if let value = params.seed { options["seed"] = value }
        if !params.stop.isEmpty { options["stop"] = params.stop }
        if let value = params.presencePenalty { options["presence_penalty"] = value }
        if let value = params.frequencyPenalty { options["frequency_penalty"] = value }
        if let value = params.repeatPenalty { options["repeat_penalty"] = value }
        return options
    }

    /// A message in Ollama's shape: calls with object arguments, a tool's result with its name.
    static func message(_ message: ChatMessage) throws -> [String: Any] {
        var item: [String: Any] = ["role": message.role.rawValue, "content": message.content]
        if let calls = message.toolCalls, !calls.isEmpty {
            item["tool_calls"] = calls.map { call -> [String: Any] in
                let arguments = (try? JSONSerialization.jsonObject(with: Data(call.arguments.utf8))) ?? [String: Any]()
                return ["function": ["name": call.name, "arguments": arguments]]
            }
        }
        if message.role == .tool, let name = message.name { item["tool_name"] = name }
        return item
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
            let value = try decoder.singleValueContainer().decode(AnyJSON.self)
            text = String(decoding: try JSONSerialization.data(withJSONObject: value.object, options: [.sortedKeys]), as: UTF8.self)
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

/// Any JSON value, decoded into Foundation objects.
private struct AnyJSON: Decodable {
    let object: Any

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode([String: AnyJSON].self) {
            object = value.mapValues(\.object)
        } else if let value = try? container.decode([AnyJSON].self) {
            object = value.map(\.object)
        } else if let value = try? container.decode(Bool.self) {
            object = value
        } else if let value = try? container.decode(Double.self) {
            object = value.rounded() == value && abs(value) < 1e15 ? Int(value) as Any : value as Any
        } else if let value = try? container.decode(String.self) {
            object = value
        } else {
            object = NSNull()
        }
    }
}
