import Foundation
import Synchronization
import HearthCore
internal import CLlama

/// The thread that owns a llama.cpp context. Each step it admits waiting generations into
/// free sequences, packs one token per running sequence plus prompt chunks into a single
/// batch, decodes once and samples every sequence that produced logits.
///
/// Everything but `pending`/`stopping` (guarded by `condition`) is touched only by the
/// loop thread, which is why the class is `@unchecked Sendable`.
final class BatchLoop: @unchecked Sendable {
    let contextPerSequence: Int
    private let model: LlamaModel
    private let template: ChatTemplate
    private let options: EngineOptions
    private let context: OpaquePointer
    private var batch: llama_batch
    private var embeddingContext: OpaquePointer?

    private let condition = NSCondition()
    private var pending: [EngineWork] = []
    private var stopping = false
    private var onStopped: (@Sendable () -> Void)?

    private var slots: [Slot?]
    private let activity = Atomic<Int>(0)
    private let waiting = Atomic<Int>(0)

    /// Sequences generating now (read from any thread).
    var activeSequences: Int { activity.load(ordering: .relaxed) }
    /// Requests waiting for a free sequence (read from any thread).
    var queuedRequests: Int { waiting.load(ordering: .relaxed) }

    /// One running generation.
    private struct Slot {
        let job: GenerationJob
        let sequence: llama_seq_id
        let prompt: [llama_token]
        let sampler: UnsafeMutablePointer<llama_sampler>
        let maxTokens: Int
        var evaluated = 0
        var generated = 0
        var lastToken: llama_token = 0
        var outputIndex: Int32 = -1
        var text: TextAssembler

        var isPrefilling: Bool { evaluated < prompt.count && generated == 0 }
    }

    init(model: LlamaModel, template: ChatTemplate, options: EngineOptions) throws {
        self.model = model
        self.template = template
        self.options = options
        var params = llama_context_default_params()
        let perSequence = min(options.contextPerSequence, model.contextTrain > 0 ? model.contextTrain : options.contextPerSequence)
        params.n_ctx = UInt32(perSequence * options.parallel)
        params.n_batch = UInt32(options.batchSize)
        params.n_ubatch = UInt32(options.batchSize)
        params.n_seq_max = UInt32(options.parallel)
        params.n_threads = Int32(options.threads)
        params.n_threads_batch = Int32(options.threads)
        params.kv_unified = false
        // Sliding-window layers keep only their window, as llama-server does (less memory for Gemma).
        params.swa_full = false
        params.no_perf = true
        guard let context = llama_init_from_model(model.pointer, params) else {
            throw HearthError(.modelLoadFailed, "llama.cpp could not create a context of \(perSequence) tokens × \(options.parallel) sequences (out of memory?)")
        }
        self.context = context
        contextPerSequence = Int(llama_n_ctx_seq(context))
        batch = llama_batch_init(Int32(options.batchSize), 0, 1)
        slots = Array(repeating: nil, count: options.parallel)
    }

    deinit {
        llama_batch_free(batch)
        llama_free(context)
        if let embeddingContext { llama_free(embeddingContext) }
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "hearth-batch"
        thread.stackSize = 8 << 20
        thread.start()
    }

    func submit(_ work: EngineWork) {
        condition.lock()
        defer { condition.unlock() }
        if stopping {
            Self.fail(work, HearthError(.modelLoadFailed, "the model is unloading"))
            return
        }
        pending.append(work)
        condition.signal()
    }

    func wake() {
        condition.lock()
        condition.signal()
        condition.unlock()
    }

    func stop(then done: @escaping @Sendable () -> Void) {
        condition.lock()
        stopping = true
        onStopped = done
        condition.signal()
        condition.unlock()
    }

    // MARK: - The loop thread

    private func run() {
        while true {
            condition.lock()
            while !stopping && pending.isEmpty && slots.allSatisfy({ $0 == nil }) {
                condition.wait()
            }
            if stopping {
                let rest = pending
                pending = []
                let done = onStopped
                condition.unlock()
                let error = HearthError(.modelLoadFailed, "the model was unloaded")
                rest.forEach { Self.fail($0, error) }
                for index in slots.indices { finish(index, error: error) }
                done?()
                return
            }
            var free = slots.filter { $0 == nil }.count
            var embeddings: [EmbeddingJob] = []
            var admitted: [GenerationJob] = []
            var waiting: [EngineWork] = []
            for work in pending {
                switch work {
                case .embed(let job): embeddings.append(job)
                case .generate(let job) where job.isCancelled: job.continuation.finish(throwing: CancellationError())
                case .generate(let job) where free > 0:
                    admitted.append(job)
                    free -= 1
                case .generate: waiting.append(work)
                }
            }
            pending = waiting
            self.waiting.store(waiting.count, ordering: .relaxed)
            condition.unlock()

            embeddings.forEach(embed)
            admitted.forEach(admit)
            for index in slots.indices where slots[index]?.job.isCancelled == true {
                finish(index, error: CancellationError())
            }
            activity.store(slots.count { $0 != nil }, ordering: .relaxed)
            if slots.contains(where: { $0 != nil }) { step() }
            activity.store(slots.count { $0 != nil }, ordering: .relaxed)
        }
    }

    private func admit(_ job: GenerationJob) {
        guard let index = slots.firstIndex(where: { $0 == nil }) else { return }
        do {
            let tokens: [llama_token]
            switch job.prompt {
            case .chat(let messages): tokens = model.tokenize(try template.render(messages), special: true)
            case .text(let text): tokens = model.tokenize(text, special: true)
            }
            guard !tokens.isEmpty else { throw HearthError.invalidRequest("the prompt is empty", field: "prompt") }
            guard tokens.count < contextPerSequence else {
                throw HearthError.contextLengthExceeded(promptTokens: tokens.count, contextSize: contextPerSequence)
            }
            let room = contextPerSequence - tokens.count
            slots[index] = Slot(
                job: job, sequence: llama_seq_id(index), prompt: tokens,
                sampler: Sampler.make(job.params, vocabularySize: model.vocabularySize),
                maxTokens: min(job.params.maxTokens ?? room, room),
                text: TextAssembler(stops: job.params.stop))
        } catch {
            job.continuation.finish(throwing: error)
        }
    }

    private func step() {
        batch.n_tokens = 0
        var budget = options.batchSize
        for index in slots.indices {
            guard var slot = slots[index], !slot.isPrefilling else { continue }
            add(slot.lastToken, position: slot.evaluated, sequence: slot.sequence, output: true)
            slot.outputIndex = batch.n_tokens - 1
            slot.evaluated += 1
            budget -= 1
            slots[index] = slot
        }
        for index in slots.indices where budget > 0 {
            guard var slot = slots[index], slot.isPrefilling else { continue }
            let count = min(budget, slot.prompt.count - slot.evaluated)
            for offset in 0..<count {
                let position = slot.evaluated + offset
                add(slot.prompt[position], position: position, sequence: slot.sequence, output: position == slot.prompt.count - 1)
            }
            slot.evaluated += count
            budget -= count
            slot.outputIndex = slot.evaluated == slot.prompt.count ? batch.n_tokens - 1 : -1
            slots[index] = slot
        }
        let status = llama_decode(context, batch)
        guard status == 0 else {
            let error = HearthError(.internalError, "llama.cpp failed to decode a batch (status \(status))")
            for index in slots.indices where slots[index] != nil { finish(index, error: error) }
            return
        }
        for index in slots.indices {
            guard var slot = slots[index], slot.outputIndex >= 0 else { continue }
            let token = llama_sampler_sample(slot.sampler, context, slot.outputIndex)
            slot.outputIndex = -1
            if model.isEndOfGeneration(token) {
                slots[index] = slot
                finish(index, reason: .stop)
                continue
            }
            slot.generated += 1
            slot.lastToken = token
            let (text, stopped) = slot.text.append(model.piece(token))
            slots[index] = slot
            if !text.isEmpty, case .terminated = slot.job.continuation.yield(.text(text)) {
                finish(index, error: CancellationError())
            } else if stopped {
                finish(index, reason: .stop)
            } else if slot.generated >= slot.maxTokens || slot.evaluated >= contextPerSequence {
                finish(index, reason: .length)
            }
        }
    }

    private func add(_ token: llama_token, position: Int, sequence: llama_seq_id, output: Bool) {
        let index = Int(batch.n_tokens)
        batch.token[index] = token
        batch.pos[index] = llama_pos(position)
        batch.n_seq_id[index] = 1
        batch.seq_id[index]![0] = sequence
        batch.logits[index] = output ? 1 : 0
        batch.n_tokens += 1
    }

    /// Ends a slot normally: flushes held-back text and reports usage.
    private func finish(_ index: Int, reason: FinishReason) {
        guard var slot = slots[index] else { return }
        let rest = slot.text.flush()
        if !rest.isEmpty { slot.job.continuation.yield(.text(rest)) }
        slot.job.continuation.yield(.done(reason, Usage(promptTokens: slot.prompt.count, completionTokens: slot.generated)))
        slot.job.continuation.finish()
        release(index)
    }

    /// Ends a slot (if any) with an error.
    private func finish(_ index: Int, error: any Error) {
        guard let slot = slots[index] else { return }
        slot.job.continuation.finish(throwing: error)
        release(index)
    }

    private func release(_ index: Int) {
        guard let slot = slots[index] else { return }
        llama_memory_seq_rm(llama_get_memory(context), slot.sequence, -1, -1)
        llama_sampler_free(slot.sampler)
        slots[index] = nil
    }

    private static func fail(_ work: EngineWork, _ error: any Error) {
        switch work {
        case .generate(let job): job.continuation.finish(throwing: error)
        case .embed(let job): job.continuation.resume(throwing: error)
        }
    }

    // MARK: - Embeddings

    private func embed(_ job: EmbeddingJob) {
        do {
            let context = try embeddingContext ?? makeEmbeddingContext()
            let capacity = Int(llama_n_ctx(context))
            var vectors: [[Float]] = []
            var promptTokens = 0
            var batch = llama_batch_init(Int32(capacity), 0, 1)
            defer { llama_batch_free(batch) }
            for input in job.inputs {
                let tokens = model.tokenize(input, special: true)
                guard !tokens.isEmpty else { throw HearthError.invalidRequest("an input to embed is empty", field: "input") }
                guard tokens.count <= capacity else {
                    throw HearthError.contextLengthExceeded(promptTokens: tokens.count, contextSize: capacity)
                }
                promptTokens += tokens.count
                llama_memory_clear(llama_get_memory(context), true)
                batch.n_tokens = 0
                for (position, token) in tokens.enumerated() {
                    batch.token[position] = token
                    batch.pos[position] = llama_pos(position)
                    batch.n_seq_id[position] = 1
                    batch.seq_id[position]![0] = 0
                    batch.logits[position] = 1
                }
                batch.n_tokens = Int32(tokens.count)
                let status = model.isEncoderOnly ? llama_encode(context, batch) : llama_decode(context, batch)
                guard status == 0, let pooled = llama_get_embeddings_seq(context, 0) else {
                    throw HearthError(.internalError, "llama.cpp failed to compute embeddings (status \(status))")
                }
                let vector = Array(UnsafeBufferPointer(start: pooled, count: model.embeddingLength))
                let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
                vectors.append(norm > 0 ? vector.map { $0 / norm } : vector)
            }
            job.continuation.resume(returning: EmbeddingResult(vectors: vectors, promptTokens: promptTokens))
        } catch {
            job.continuation.resume(throwing: error)
        }
    }

    private func makeEmbeddingContext() throws -> OpaquePointer {
        var params = llama_context_default_params()
        let size = UInt32(min(options.contextPerSequence, model.contextTrain > 0 ? model.contextTrain : options.contextPerSequence))
        params.n_ctx = size
        params.n_batch = size
        params.n_ubatch = size
        params.n_seq_max = 1
        params.n_threads = Int32(options.threads)
        params.n_threads_batch = Int32(options.threads)
        params.embeddings = true
        params.no_perf = true
        let declared = model.metadata("\(model.architecture).pooling_type") != nil
        params.pooling_type = declared ? LLAMA_POOLING_TYPE_UNSPECIFIED : LLAMA_POOLING_TYPE_MEAN
        guard let context = llama_init_from_model(model.pointer, params) else {
            throw HearthError(.internalError, "llama.cpp could not create an embedding context")
        }
        embeddingContext = context
        return context
    }
}
