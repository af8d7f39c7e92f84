internal import CLlama
import Foundation
import HearthCore

/// The thread that computes a model's embeddings, in a llama.cpp context of its own, so
/// that a large embedding batch never stalls the generations of the batch loop: both take
/// turns on the process's `ComputePool` over the same weights.
///
/// Jobs run oldest first, many inputs to a decode. Everything but `pending`/`stopping`
/// (guarded by `condition`) is touched only by the lane's thread, which is why the class
/// is `@unchecked Sendable`.
final class EmbeddingLane: @unchecked Sendable {
    private let model: LlamaModel
    private let options: EngineOptions
    private var context: OpaquePointer?
    /// When embeddings still computing are cut short (the server is shutting down).
    private let cutoff: Cutoff

    private let condition = NSCondition()
    private var pending: [EmbeddingJob] = []
    private var stopping = false
    private var onStopped: (@Sendable () -> Void)?

    init(model: LlamaModel, options: EngineOptions, cutoff: Cutoff) {
        self.model = model
        self.options = options
        self.cutoff = cutoff
    }

    deinit {
        if let context { llama_free(context) }
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "hearth-embed"
        thread.stackSize = 8 << 20
        thread.start()
    }

    func submit(_ job: EmbeddingJob) {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else {
            job.continuation.resume(throwing: HearthError(.unavailable, "the model is unloading; try again in a moment"))
            return
        }
        pending.append(job)
        condition.signal()
    }

    /// Stops the thread once the job it is computing ends; waiting jobs fail.
    func stop(then done: @escaping @Sendable () -> Void) {
        condition.lock()
        stopping = true
        onStopped = done
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while !stopping && pending.isEmpty { condition.wait() }
            if stopping {
                let rest = pending
                pending = []
                let done = onStopped
                condition.unlock()
                rest.forEach { $0.continuation.resume(throwing: HearthError(.modelLoadFailed, "the model was unloaded")) }
                done?()
                return
            }
            let job = pending.removeFirst()
            condition.unlock()
            job.continuation.resume(with: Result { try embed(job.inputs) })
        }
    }

    /// Embeds `inputs`, packing as many as fit into each decode (one sequence each).
    private func embed(_ inputs: [String]) throws -> EmbeddingResult {
        guard !cutoff.isPast else { throw Cutoff.error }
        let context = try context ?? makeContext()
        let capacity = Int(llama_n_batch(context))
        // Inputs are text, never control tokens, whatever they spell.
        let tokenized = inputs.map { model.tokenize($0, addSpecial: true, parseSpecial: false) }
        for tokens in tokenized {
            guard !tokens.isEmpty else { throw HearthError.invalidRequest("an input to embed is empty", field: "input") }
            guard tokens.count <= capacity else {
                throw HearthError.contextLengthExceeded(promptTokens: tokens.count, contextSize: capacity)
            }
        }
        var vectors: [[Float]] = []
        vectors.reserveCapacity(inputs.count)
        var batch = llama_batch_init(Int32(capacity), 0, 1)
        defer { llama_batch_free(batch) }
        var next = 0
        while next < tokenized.count {
            llama_memory_clear(llama_get_memory(context), true)
            batch.n_tokens = 0
            var sequences: Int32 = 0
            // Beside another model's work, in pieces of about a generation step's cost (at least one input).
            let budget = ComputePool.shared.othersAreBusy(than: context) ? Self.sharedTokensPerDecode : capacity
            while next < tokenized.count, sequences < Self.sequences, Int(batch.n_tokens) + tokenized[next].count <= capacity,
                sequences == 0 || Int(batch.n_tokens) + tokenized[next].count <= budget
            {
                for (position, token) in tokenized[next].enumerated() {
                    let row = Int(batch.n_tokens)
                    batch.token[row] = token
                    batch.pos[row] = llama_pos(position)
                    batch.n_seq_id[row] = 1
                    batch.seq_id[row]![0] = sequences
                    batch.logits[row] = 1
                    batch.n_tokens += 1
                }
                sequences += 1
                next += 1
            }
            let status = ComputePool.shared.compute(context, batch, encoder: model.isEncoderOnly)
            guard status == 0 else {
                // Status 2: aborted by the cutoff.
                throw cutoff.isPast
                    ? Cutoff.error : HearthError(.internalError, "llama.cpp failed to compute embeddings (status \(status))")
            }
            for sequence in 0..<sequences {
                guard let pooled = llama_get_embeddings_seq(context, sequence) else {
                    throw HearthError(.internalError, "llama.cpp returned no embedding for an input")
                }
                vectors.append(VectorMath.normalized(Array(UnsafeBufferPointer(start: pooled, count: model.embeddingLength))))
            }
        }
        return EmbeddingResult(vectors: vectors, promptTokens: tokenized.reduce(0) { $0 + $1.count })
    }

    /// Most inputs embedded in one decode.
    static let sequences: Int32 = 32
    /// Most tokens embedded in one decode while another model computes.
    static let sharedTokensPerDecode = 64

    private func makeContext() throws -> OpaquePointer {
        var params = llama_context_default_params()
        let size = UInt32(min(options.contextPerSequence, model.contextTrain > 0 ? model.contextTrain : options.contextPerSequence))
        params.n_ctx = size
        params.n_batch = size
        params.n_ubatch = size
        params.n_seq_max = UInt32(Self.sequences)
        // The sequences share the context's cells: any one input may take all of them.
        params.kv_unified = true
        params.n_threads = Int32(options.threads)
        params.n_threads_batch = Int32(options.threads)
        params.embeddings = true
        params.no_perf = true
        let declared = model.metadata("\(model.architecture).pooling_type") != nil
        params.pooling_type = declared ? LLAMA_POOLING_TYPE_UNSPECIFIED : LLAMA_POOLING_TYPE_MEAN
        guard let context = llama_init_from_model(model.pointer, params) else {
            throw HearthError(.internalError, "llama.cpp could not create an embedding context")
        }
        self.context = context
        cutoff.abort(context)
        return context
    }
}
