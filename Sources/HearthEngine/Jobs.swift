import HearthCore
import Synchronization

/// A generation waiting for, or holding, a sequence in the batch loop.
final class GenerationJob: Sendable {
    let prompt: Prompt
    let params: GenerationParams
    /// A chat template name that replaces the model's for this request.
    let template: String?
    /// The chat already rendered by a Jinja template, with its call grammar: used instead of
    /// `prompt` and `template`.
    let render: JinjaRender?
    let continuation: AsyncThrowingStream<TokenEvent, any Error>.Continuation
    private let cancelled = Atomic<Bool>(false)

    init(
        prompt: Prompt, params: GenerationParams, template: String?, render: JinjaRender? = nil,
        continuation: AsyncThrowingStream<TokenEvent, any Error>.Continuation
    ) {
        self.prompt = prompt
        self.params = params
        self.template = template
        self.render = render
        self.continuation = continuation
    }

    var isCancelled: Bool { cancelled.load(ordering: .acquiring) }
    func cancel() { cancelled.store(true, ordering: .releasing) }
}

/// Inputs to embed, answered through a continuation by the model's `EmbeddingLane`.
struct EmbeddingJob: Sendable {
    let inputs: [String]
    let continuation: CheckedContinuation<EmbeddingResult, any Error>
}
