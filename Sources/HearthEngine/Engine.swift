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
    /// When answers are sped up by prompt lookup (`PromptLookup`): the same text, sooner
    /// when it quotes its prompt.
    public var promptLookup: PromptLookupMode

    public init(
        parallel: Int = 4, contextPerSequence: Int = 4096, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        batchSize: Int = 512, maxQueue: Int = 64, promptLookup: PromptLookupMode = .auto
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
    private let templates: JinjaTemplates

    private init(model: LlamaModel, options: EngineOptions) throws {
        let template = ChatTemplate(embedded: model.embeddedTemplate, architecture: model.architecture)
        loop = try BatchLoop(model: model, template: template, options: options, cutoff: cutoff)
        lane = EmbeddingLane(model: model, options: options, cutoff: cutoff)
        templates = JinjaTemplates(model: model)
        details = Self.details(of: model, template: template, ownCalls: templates.own != nil)
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
    /// `template` names a chat template llama.cpp knows, or is a Jinja template, used instead
    /// of the model's. With `tools` offered to a chat, the answer is either text or calls:
    /// `.toolCall` events, then `.done(.toolCalls, …)` (see `PromptPlan`).
    public func generate(_ prompt: Prompt, params: GenerationParams = .init(), template: String? = nil, tools: ToolUse? = nil)
        -> AsyncThrowingStream<TokenEvent, any Error>
    {
        do {
            let plan = try PromptPlan(prompt, template: template, tools: tools, templates: templates)
            switch plan.reading {
            case .plain:
                return submit(plan.prompt, params: params, template: template, render: plan.render)
            case .json(let format):
                var constrained = params
                constrained.grammar = try format.grammar()
                return PromptPlan.reading(
                    submit(plan.prompt, params: constrained, template: template, render: plan.render), with: JSONToolAnswer())
            case .native(let render):
                return PromptPlan.reading(
                    submit(plan.prompt, params: params, template: template, render: render), with: NativeToolAnswer(render: render))
            }
        } catch {
            return AsyncThrowingStream { $0.finish(throwing: error) }
        }
    }

    /// How many tokens `prompt` (with `tools`, as `generate` renders them) is evaluated as,
    /// with `template` as in `generate`.
    /// - Throws: `HearthError.invalidRequest` when the template cannot render the chat.
    public func promptTokens(_ prompt: Prompt, template: String? = nil, tools: ToolUse? = nil) throws -> Int {
        let plan = try PromptPlan(prompt, template: template, tools: tools, templates: templates)
        if let render = plan.render { return try loop.promptTokenCount(render) }
        return try loop.promptTokenCount(plan.prompt, template: template)
    }

    /// Checks a Jinja chat template (a profile's TEMPLATE) without a model.
    /// - Throws: `HearthError.invalidRequest` with llama.cpp's reason when it does not parse.
    public static func verifyJinjaTemplate(_ source: String) throws {
        _ = try JinjaTemplate(model: nil, source: source)
    }

    /// Whether `template` is Jinja text rather than the name of a built-in template.
    public static func isJinja(_ template: String) -> Bool {
        JinjaTemplates.isJinja(template)
    }

    private func submit(_ prompt: Prompt, params: GenerationParams, template: String?, render: JinjaRender?)
        -> AsyncThrowingStream<TokenEvent, any Error>
    {
        let (stream, continuation) = AsyncThrowingStream<TokenEvent, any Error>.makeStream()
        guard !details.embeddingOnly else {
            continuation.finish(
                throwing: HearthError.invalidRequest(
                    "this model only computes embeddings (\(details.architecture)); use it with /v1/embeddings", field: "model"))
            return stream
        }
        let job = GenerationJob(prompt: prompt, params: params, template: template, render: render, continuation: continuation)
        continuation.onTermination = { [loop] termination in
            if case .cancelled = termination {
                job.cancel()
                loop.wake()
            }
        }
        loop.submit(job)
        return stream
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

    private static func details(of model: LlamaModel, template: ChatTemplate, ownCalls: Bool) -> ModelDetails {
        let size = (try? FileManager.default.attributesOfItem(atPath: model.path)[.size] as? NSNumber)?.int64Value ?? 0
        let summary = model.summary
        return ModelDetails(
            path: model.path, architecture: model.architecture, summary: summary,
            parameters: model.parameterCount,
            quantization: summary.split(separator: " ").dropFirst(2).joined(separator: " "),
            contextLength: model.contextTrain, embeddingLength: model.embeddingLength, fileSize: size,
            chatTemplate: template.description + (ownCalls ? "; tool calls in its own format" : ""),
            embeddingOnly: model.metadata("\(model.architecture).attention.causal") == "false")
    }
}
