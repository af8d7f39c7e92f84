internal import CLlama
import Foundation
import HearthCore

/// How a loaded model is run.
public struct EngineOptions: Sendable, Equatable {
    /// Sequences served at the same time (llama.cpp sequences in one context).
    public var parallel: Int
    /// Context size of each sequence, in tokens (capped at the model's training context).
    public var contextPerSequence: Int
    /// CPU threads for llama.cpp.
    public var threads: Int
    /// Most tokens decoded in one step (prompt chunks plus one per running sequence).
    public var batchSize: Int
    /// Most requests waiting for a free sequence; more are refused (`HearthError.queueFull`).
    public var maxQueue: Int
    /// Whether answers are sped up by prompt lookup (`PromptLookup`): the same text, sooner
    /// when it quotes its prompt.
    public var promptLookup: Bool

    public init(
        parallel: Int = 4, contextPerSequence: Int = 4096, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        batchSize: Int = 512, maxQueue: Int = 64, promptLookup: Bool = true
    ) {
        self.promptLookup = promptLookup
        self.maxQueue = max(0, maxQueue)
        self.parallel = max(1, parallel)
        self.contextPerSequence = max(64, contextPerSequence)
        self.threads = max(1, threads)
        self.batchSize = max(self.parallel, batchSize)
    }
}

/// What `hearth models show` prints about a GGUF file.
public struct ModelDetails: Sendable, Equatable {
    public var path: String
    public var architecture: String
    /// llama.cpp's summary, such as `llama 135M Q4_1`.
    public var summary: String
    public var parameters: UInt64
    public var quantization: String
    public var contextLength: Int
    public var embeddingLength: Int
    public var fileSize: Int64
    /// Which chat template Hearth applies, and why.
    public var chatTemplate: String
    /// Whether the model only computes embeddings (an encoder such as BERT).
    public var embeddingOnly: Bool
}

/// One model loaded in-process through llama.cpp, with a batch loop on its own thread that
/// serves several generations at once (one llama.cpp sequence each), and an embedding lane
/// on another so that embeddings never stall them.
///
/// Call `shutdown()` when done: it stops the loop and frees the model.
public final class Engine: Sendable {
    public let details: ModelDetails
    /// The context each sequence really has, in tokens.
    public let contextPerSequence: Int
    public let options: EngineOptions
    private let loop: BatchLoop
    private let lane: EmbeddingLane
    private let cutoff = Cutoff()

    private init(model: LlamaModel, options: EngineOptions) throws {
        let template = ChatTemplate(embedded: model.embeddedTemplate, architecture: model.architecture)
        loop = try BatchLoop(model: model, template: template, options: options, cutoff: cutoff)
        lane = EmbeddingLane(model: model, options: options, cutoff: cutoff)
        details = Self.details(of: model, template: template)
        contextPerSequence = loop.contextPerSequence
        self.options = options
        loop.start()
        lane.start()
    }

    /// Loads `path` and starts its batch loop. Loading runs on a dedicated thread.
    /// - Throws: `HearthError.modelLoadFailed` when the file is missing or not a usable GGUF.
    public static func load(path: String, options: EngineOptions = .init()) async throws -> Engine {
        try await onOwnThread("hearth-load") { try Engine(model: LlamaModel(path: path), options: options) }
    }

    /// The template Hearth applies to a model of `architecture` whose file carries none, as
    /// `ModelDetails.chatTemplate` words it (`gemma (by architecture gemma3; the file has none)`).
    public static func fallbackTemplate(for architecture: String) -> String {
        ChatTemplate(embedded: nil, architecture: architecture).description
    }

    /// Names of the chat templates llama.cpp has built in (`chatml`, `llama3`, `gemma`, …),
    /// the values a profile's TEMPLATE may take.
    public static var templateNames: [String] { ChatTemplate.builtinNames() }

    /// What the engine has done and is doing now.
    public var activity: ModelActivity { loop.activity }

    /// Starts generating. The stream yields text pieces and ends with `.done`; cancelling
    /// the consuming task, or dropping the stream, frees the sequence at once.
    /// Errors (`HearthError.contextLengthExceeded`, …) end the stream.
    /// `template` names a chat template llama.cpp knows, used instead of the model's.
    /// With `tools` offered to a chat, the answer is either text or calls: `.toolCall`
    /// events, then `.done(.toolCalls, …)` (see `JSONToolFormat`).
    public func generate(_ prompt: Prompt, params: GenerationParams = .init(), template: String? = nil, tools: ToolUse? = nil)
        -> AsyncThrowingStream<TokenEvent, any Error>
    {
        let (rendered, format) = Self.rendered(prompt, tools: tools)
        guard let format else { return submit(rendered, params: params, template: template) }
        var constrained = params
        do {
            constrained.grammar = try format.grammar()
        } catch {
            return AsyncThrowingStream { $0.finish(throwing: error) }
        }
        return Self.readingCalls(submit(rendered, params: constrained, template: template))
    }

    /// How many tokens `prompt` (with `tools`, as `generate` renders them) is evaluated as,
    /// with `template` as in `generate`.
    /// - Throws: `HearthError.invalidRequest` when the template cannot render the chat.
    public func promptTokens(_ prompt: Prompt, template: String? = nil, tools: ToolUse? = nil) throws -> Int {
        try loop.promptTokenCount(Self.rendered(prompt, tools: tools).prompt, template: template)
    }

    /// What the batch loop evaluates for `prompt`: with calls offered, the conversation in
    /// `JSONToolFormat` (and the format, to read the answer); else the prompt, a chat's
    /// earlier calls and results written as text the template can render.
    private static func rendered(_ prompt: Prompt, tools: ToolUse?) -> (prompt: Prompt, format: JSONToolFormat?) {
        guard case .chat(let messages) = prompt else { return (prompt, nil) }
        if let tools, tools.offersCalls {
            let format = JSONToolFormat(use: tools)
            return (.chat(format.messages(messages)), format)
        }
        guard messages.contains(where: { $0.role == .tool || $0.toolCalls != nil }) else { return (prompt, nil) }
        return (.chat(JSONToolFormat.plain(messages)), nil)
    }

    private func submit(_ prompt: Prompt, params: GenerationParams, template: String?) -> AsyncThrowingStream<TokenEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<TokenEvent, any Error>.makeStream()
        guard !details.embeddingOnly else {
            continuation.finish(
                throwing: HearthError.invalidRequest(
                    "this model only computes embeddings (\(details.architecture)); use it with /v1/embeddings", field: "model"))
            return stream
        }
        let job = GenerationJob(prompt: prompt, params: params, template: template, continuation: continuation)
        continuation.onTermination = { [loop] termination in
            if case .cancelled = termination {
                job.cancel()
                loop.wake()
            }
        }
        loop.submit(job)
        return stream
    }

    /// `events` of an answer in `JSONToolFormat`, read: its response's text as it comes, its
    /// calls at the end.
    private static func readingCalls(_ events: AsyncThrowingStream<TokenEvent, any Error>) -> AsyncThrowingStream<TokenEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var answer = JSONToolAnswer()
                do {
                    for try await event in events {
                        switch event {
                        case .text(let piece):
                            let text = answer.feed(piece)
                            if !text.isEmpty { continuation.yield(.text(text)) }
                        case .toolCall(let call):
                            continuation.yield(.toolCall(call))
                        case .done(let reason, let usage):
                            let (text, calls) = answer.finish()
                            if !text.isEmpty { continuation.yield(.text(text)) }
                            calls.forEach { continuation.yield(.toolCall($0)) }
                            continuation.yield(.done(calls.isEmpty ? reason : .toolCalls, usage))
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Embeds each input with the model's pooling (mean for generative models), L2-normalised.
    /// - Throws: `HearthError.contextLengthExceeded` when an input is longer than the context.
    public func embed(_ inputs: [String]) async throws -> EmbeddingResult {
        try await withCheckedThrowingContinuation { continuation in
            lane.submit(EmbeddingJob(inputs: inputs, continuation: continuation))
        }
    }

    /// Cuts short, `grace` from now, every generation and embedding still running, and
    /// refuses new ones then (`HearthError.unavailable`): the server is shutting down. A
    /// decode in progress at that moment is aborted, however slow the machine is.
    public func cutShort(after grace: Duration) {
        cutoff.set(after: grace)
    }

    /// Stops the batch loop (running generations end with an error) and the embedding lane
    /// (after the input it is computing), then frees the model.
    public func shutdown() async {
        await withCheckedContinuation { continuation in
            loop.stop { continuation.resume() }
        }
        await withCheckedContinuation { continuation in
            lane.stop { continuation.resume() }
        }
    }

    private static func details(of model: LlamaModel, template: ChatTemplate) -> ModelDetails {
        let size = (try? FileManager.default.attributesOfItem(atPath: model.path)[.size] as? NSNumber)?.int64Value ?? 0
        let summary = model.summary
        return ModelDetails(
            path: model.path, architecture: model.architecture, summary: summary,
            parameters: model.parameterCount,
            quantization: summary.split(separator: " ").dropFirst(2).joined(separator: " "),
            contextLength: model.contextTrain, embeddingLength: model.embeddingLength, fileSize: size,
            chatTemplate: template.description,
            embeddingOnly: model.metadata("\(model.architecture).attention.causal") == "false")
    }
}
