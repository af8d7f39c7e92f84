internal import CLlama
import Foundation
import HearthCore
import Synchronization

/// The thread that owns a llama.cpp context. Each step it admits waiting generations into
/// free sequences, packs one token per running sequence plus prompt chunks into a single
/// batch, decodes once and samples every sequence that produced logits. Sequences join
/// and leave between steps (continuous batching). Embeddings run beside it, in the
/// model's `EmbeddingLane`.
///
/// A sequence keeps its KV cache after its request ends. A new request goes to the free
/// sequence `SlotPolicy` chooses (the longest shared prefix) and evaluates only the tokens
/// after that prefix.
///
/// Everything but `queue`/`stopping` (guarded by `condition`) and `statistics` (a mutex)
/// is touched only by the loop thread, which is why the class is `@unchecked Sendable`.
final class BatchLoop: @unchecked Sendable {
    let contextPerSequence: Int
    private let model: LlamaModel
    private let template: ChatTemplate
    private let options: EngineOptions
    private let context: OpaquePointer
    private var batch: llama_batch
    /// Sliding-window size of the model's attention (0: none).
    private let slidingWindow: Int
    /// Whether answers are sped up by prompt lookup: not for models whose memory cannot drop
    /// the rejected guesses (recurrent and hybrid ones).
    private var speculates: Bool
    /// What guesses cost on this machine, measured (`PromptLookup.Cost`).
    private var guessCost = PromptLookup.Cost()

    /// When running answers are cut short (the server is shutting down).
    private let cutoff: Cutoff

    private let condition = NSCondition()
    private var queue: AdmissionQueue<GenerationJob>
    private var stopping = false
    private var onStopped: (@Sendable () -> Void)?

    private var slots: [Slot]
    private var clock = 0
    /// Most tokens in one step while another context computes on the shared pool.
    static let sharedBatchSize = 128
    /// How long an idle loop waits after the first request of a burst for the rest.
    static let arrivalWindow: TimeInterval = 0.004
    private let statistics = Mutex((stats: ModelActivity(), rate: TokenRate()))

    /// A llama.cpp sequence: what its KV cache holds, and the request it serves, if any.
    private struct Slot {
        let sequence: llama_seq_id
        /// Tokens in this sequence's KV cache, positions 0..<count; kept between requests.
        var cached: [llama_token] = []
        var lastUsed = 0
        var run: Run?
    }

    /// One request being served by a slot.
    private struct Run {
        let job: GenerationJob
        let prompt: [llama_token]
        let sampler: UnsafeMutablePointer<llama_sampler>
        let maxTokens: Int
        let greedy: Bool
        /// Tokens printed as their text although special (a call format's `<tool_call>`).
        let printed: Set<llama_token>
        var generated = 0
        var lastToken: llama_token = 0
        var outputIndex: Int32 = -1
        var text: TextAssembler
        /// Tokens guessed by prompt lookup, decoded after `lastToken` in this step.
        var draft: [llama_token] = []
        /// How long its guesses may be, after how they fared.
        var guesses = PromptLookup.Budget()
        /// The guess not made in this step (too unlikely to pay), checked against what the
        /// model writes, so that the answer learns whether guessing would pay now.
        var unmade: llama_token?
    }

    init(model: LlamaModel, template: ChatTemplate, options: EngineOptions, cutoff: Cutoff) throws {
        self.model = model
        self.cutoff = cutoff
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
            throw HearthError(
                .modelLoadFailed,
                "llama.cpp could not create a context of \(perSequence) tokens × \(options.parallel) sequences (out of memory?)")
        }
        self.context = context
        cutoff.abort(context)
        contextPerSequence = Int(llama_n_ctx_seq(context))
        batch = llama_batch_init(Int32(options.batchSize), 0, 1)
        slots = (0..<options.parallel).map { Slot(sequence: llama_seq_id($0)) }
        queue = AdmissionQueue(capacity: options.maxQueue)
        slidingWindow = Int(llama_model_n_swa(model.pointer))
        speculates = options.promptLookup != .off && !llama_model_is_recurrent(model.pointer) && !llama_model_is_hybrid(model.pointer)
        statistics.withLock {
            $0.stats.parallel = options.parallel
            $0.stats.contextPerSequence = contextPerSequence
        }
    }

    /// A snapshot of what the loop has done, with token rates as of now.
    var activity: ModelActivity {
        statistics.withLock {
            var stats = $0.stats
            let rates = $0.rate.rates(at: ProcessInfo.processInfo.systemUptime)
            stats.promptTokensPerSecond = rates.prompt
            stats.generationTokensPerSecond = rates.generated
            return stats
        }
    }

    deinit {
        llama_batch_free(batch)
        llama_free(context)
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "hearth-batch"
        thread.stackSize = 8 << 20
        thread.start()
    }

    func submit(_ job: GenerationJob) {
        condition.lock()
        defer { condition.unlock() }
        if stopping || cutoff.isPast {
            job.continuation.finish(
                throwing: stopping ? HearthError(.unavailable, "the model is unloading; try again in a moment") : Cutoff.error)
            return
        }
        guard queue.enqueue(job) else {
            job.continuation.finish(
                throwing: HearthError(
                    .queueFull,
                    "the model is busy: \(options.parallel) requests are running and \(options.maxQueue) are waiting; retry shortly"))
            return
        }
        publishQueue()
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

    /// Ends every waiting and running generation with `error`; call with `condition`
    /// locked (it is unlocked on return).
    private func endAll(_ error: any Error) {
        let rest = queue.removeAll()
        publishQueue()
        condition.unlock()
        rest.forEach { $0.continuation.finish(throwing: error) }
        for index in slots.indices { finish(index, error: error) }
    }

    /// Publishes the queue length; call with `condition` locked.
    private func publishQueue() {
        let queued = queue.waiting.count
        statistics.withLock { $0.stats.queuedRequests = queued }
    }

    // MARK: - The loop thread

    private func run() {
        while true {
            condition.lock()
            if !stopping && queue.waiting.isEmpty && slots.allSatisfy({ $0.run == nil }) {
                while !stopping && queue.waiting.isEmpty { condition.wait() }
                // Generations that arrive together (a burst of clients) share the first prefill
                // step instead of waiting for each other's: give the others a moment to arrive.
                let deadline = Date(timeIntervalSinceNow: Self.arrivalWindow)
                while !stopping && Date() < deadline { _ = condition.wait(until: deadline) }
            }
            if stopping {
                let done = onStopped
                endAll(HearthError(.modelLoadFailed, "the model was unloaded"))
                done?()
                return
            }
            if cutoff.isPast {
                endAll(Cutoff.error)
                publishActivity()
                continue
            }
            let (admitted, cancelled) = queue.admit(free: slots.count { $0.run == nil }) { $0.isCancelled }
            publishQueue()
            condition.unlock()

            cancelled.forEach { $0.continuation.finish(throwing: CancellationError()) }
            admitted.forEach(admit)
            for index in slots.indices where slots[index].run?.job.isCancelled == true {
                finish(index, error: CancellationError())
            }
            publishActivity()
            if slots.contains(where: { $0.run != nil }) { step() }
            publishActivity()
        }
    }

    private func publishActivity() {
        let active = slots.count { $0.run != nil }
        statistics.withLock { $0.stats.activeSequences = active }
    }

    /// How many tokens `prompt` is evaluated as (what `admit` will tokenise), from any thread:
    /// tokenising reads only the model's vocabulary.
    /// - Throws: `HearthError.invalidRequest` when the template cannot render the chat.
    func promptTokenCount(_ prompt: Prompt, template name: String?) throws -> Int {
        try model.tokens(for: prompt, template: name.map(ChatTemplate.init(named:)) ?? template).count
    }

    /// How many tokens `render` is evaluated as, from any thread.
    /// - Throws: `HearthError.invalidRequest` when its tools hold a control token.
    func promptTokenCount(_ render: JinjaRender) throws -> Int {
        try model.tokens(for: render).count
    }

    private func admit(_ job: GenerationJob) {
        do {
            let tokens =
                try job.render.map(model.tokens(for:))
                ?? model.tokens(for: job.prompt, template: job.template.map(ChatTemplate.init(named:)) ?? template)
            guard !tokens.isEmpty else { throw HearthError.invalidRequest("the prompt is empty", field: "prompt") }
            guard tokens.count < contextPerSequence else {
                throw HearthError.contextLengthExceeded(promptTokens: tokens.count, contextSize: contextPerSequence)
            }
            let free = slots.indices.filter { slots[$0].run == nil }
            let candidates = free.map { SlotPolicy.Candidate(cached: slots[$0].cached, lastUsed: slots[$0].lastUsed) }
            let index = free[SlotPolicy.choose(among: candidates, for: tokens)!]
            let reused = reuseCache(of: index, for: tokens)
            let room = contextPerSequence - tokens.count
            clock += 1
            slots[index].lastUsed = clock
            let calls = try job.render?.sampler(vocab: model.vocab)
            slots[index].run = Run(
                job: job, prompt: tokens, sampler: try Sampler.make(job.params, vocab: model.vocab, constraint: calls),
                maxTokens: min(job.params.maxTokens ?? room, room), greedy: calls == nil && Sampler.isGreedy(job.params),
                printed: model.singleTokens(job.render?.preserved ?? []),
                text: TextAssembler(stops: job.params.stop + (job.render?.stops ?? [])))
            statistics.withLock {
                $0.stats.promptTokens += tokens.count
                $0.stats.promptTokensCached += reused
            }
        } catch {
            job.continuation.finish(throwing: error)
        }
    }

    /// Trims slot `index`'s cache to the prefix `SlotPolicy` keeps for `tokens` and returns
    /// how many tokens need no evaluation.
    private func reuseCache(of index: Int, for tokens: [llama_token]) -> Int {
        let memory = llama_get_memory(context)
        let sequence = slots[index].sequence
        var keep = SlotPolicy.reusablePrefix(
            cached: slots[index].cached, prompt: tokens, window: slidingWindow,
            oldestPosition: slidingWindow > 0 ? Int(llama_memory_seq_pos_min(memory, sequence)) : 0)
        if keep < slots[index].cached.count, !llama_memory_seq_rm(memory, sequence, llama_pos(keep), -1) {
            keep = 0
        }
        if keep == 0 { llama_memory_seq_rm(memory, sequence, -1, -1) }
        slots[index].cached.removeSubrange(keep...)
        return keep
    }

    private func step() {
        batch.n_tokens = 0
        // Beside another model's work, prompts go in smaller pieces: turns on the shared
        // compute pool are a step long, and the other's streams wait for this one.
        let shared = ComputePool.shared.othersAreBusy(than: context)
        var budget = shared ? min(options.batchSize, max(options.parallel, Self.sharedBatchSize)) : options.batchSize
        var promptTokens = 0
        var generatedTokens = 0
        var guessed = 0
        var kept = 0
        let running = slots.count { ($0.run?.generated ?? 0) > 0 }
        let guesses = speculates && running <= PromptLookup.maxRunning
        let ratio = options.promptLookup == .always ? PromptLookup.Cost.assumedRatio : guessCost.ratio(running: running)
        for index in slots.indices {
            guard var run = slots[index].run, run.generated > 0 else { continue }
            add(run.lastToken, to: index, output: true)
            run.outputIndex = batch.n_tokens - 1
            run.draft = []
            run.unmade = nil
            if guesses {
                // Room for the guess: what pays, the answer's, the context's and the batch's.
                let allowed = run.guesses.allowed(ratio: ratio)
                let room = min(
                    allowed, run.maxTokens - run.generated - 1, contextPerSequence - slots[index].cached.count - 1, budget - running)
                if allowed > 0 {
                    run.draft = room > 0 ? PromptLookup.draft(slots[index].cached, count: room) : []
                } else {
                    run.unmade = PromptLookup.draft(slots[index].cached, count: 1).first
                }
            }
            for token in run.draft { add(token, to: index, output: true) }
            slots[index].run = run
            budget -= 1 + run.draft.count
            guessed += run.draft.count
        }
        for index in slots.indices where budget > 0 {
            guard var run = slots[index].run, run.generated == 0 else { continue }
            let start = slots[index].cached.count
            let count = min(budget, run.prompt.count - start)
            for position in start..<start + count {
                add(run.prompt[position], to: index, output: position == run.prompt.count - 1)
            }
            budget -= count
            promptTokens += count
            run.outputIndex = slots[index].cached.count == run.prompt.count ? batch.n_tokens - 1 : -1
            slots[index].run = run
        }
        let size = Int(batch.n_tokens)
        let started = ContinuousClock.now
        let status = ComputePool.shared.compute(context, batch)
        if guesses, promptTokens == 0, !shared, status == 0 {
            guessCost.record(running: running, guessed: guessed, seconds: (ContinuousClock.now - started).seconds)
        }
        guard status == 0 else {
            // Status 2: aborted by the cutoff.
            let error = cutoff.isPast ? Cutoff.error : HearthError(.internalError, "llama.cpp failed to decode a batch (status \(status))")
            for index in slots.indices where slots[index].run != nil {
                finish(index, error: error)
                forget(index)
            }
            return
        }
        for index in slots.indices {
            guard var run = slots[index].run, run.outputIndex >= 0 else { continue }
            let (draft, unmade, first) = (run.draft, run.unmade, run.outputIndex)
            run.draft = []
            run.unmade = nil
            run.outputIndex = -1
            slots[index].run = run
            // Tokens of the guess in the cache after the next token's position.
            let base = slots[index].cached.count - draft.count
            var accepted = 0
            while true {
                let token = sample(run, row: first + Int32(accepted))
                if accepted == 0, let unmade { slots[index].run?.guesses.update(drafted: 1, accepted: token == unmade ? 1 : 0) }
                guard emit(token, from: index, cached: base + accepted) else { break }
                generatedTokens += 1
                guard accepted < draft.count, token == draft[accepted] else { break }
                accepted += 1
            }
            if !draft.isEmpty {
                kept += accepted
                discardGuess(of: index, keeping: accepted, of: draft.count)
                slots[index].run?.guesses.update(drafted: draft.count, accepted: accepted)
            }
        }
        let now = ProcessInfo.processInfo.systemUptime
        statistics.withLock {
            $0.stats.recordStep(batchSize: size)
            $0.stats.generatedTokens += generatedTokens
            $0.stats.draftTokens += guessed
            $0.stats.draftTokensAccepted += kept
            $0.stats.draftCostRatio = guessCost.measured
            $0.rate.add(prompt: promptTokens, generated: generatedTokens, at: now)
        }
    }

    /// The token sampled from the logits of batch row `row` for `run`.
    private func sample(_ run: Run, row: Int32) -> llama_token {
        run.greedy
            ? Sampler.argmax(llama_get_logits_ith(context, row), count: Int(model.vocabularySize))
            : llama_sampler_sample(run.sampler, context, row)
    }

    /// Hands `token` to slot `index`'s answer, whose sequence will then hold `cached` tokens
    /// before it. Returns whether the answer goes on (not ended by the token, a stop string,
    /// its length, the context, or the client leaving).
    private func emit(_ token: llama_token, from index: Int, cached: Int) -> Bool {
        guard var run = slots[index].run else { return false }
        if model.isEndOfGeneration(token) {
            finish(index, reason: .stop)
            return false
        }
        run.generated += 1
        run.lastToken = token
        let (text, stopped) = run.text.append(model.piece(token, special: run.printed.contains(token)))
        slots[index].run = run
        if !text.isEmpty, case .terminated = run.job.continuation.yield(.text(text)) {
            finish(index, error: CancellationError())
        } else if stopped {
            finish(index, reason: .stop)
        } else if run.generated >= run.maxTokens || cached >= contextPerSequence {
            finish(index, reason: .length)
        } else {
            return true
        }
        return false
    }

    /// Drops from slot `index`'s cache the guessed tokens after the first `accepted` of
    /// `drafted` (the model chose otherwise there).
    private func discardGuess(of index: Int, keeping accepted: Int, of drafted: Int) {
        let rejected = drafted - accepted
        guard rejected > 0 else { return }
        let position = slots[index].cached.count - rejected
        if llama_memory_seq_rm(llama_get_memory(context), slots[index].sequence, llama_pos(position), -1) {
            slots[index].cached.removeLast(rejected)
        } else {
            // This model's memory cannot drop a tail: no more guessing, and this answer ends.
            speculates = false
            finish(index, error: HearthError(.internalError, "llama.cpp could not drop guessed tokens; try again"))
            forget(index)
        }
    }

    /// Adds the token at the next position of slot `index`'s sequence to the batch.
    private func add(_ token: llama_token, to index: Int, output: Bool) {
        let row = Int(batch.n_tokens)
        batch.token[row] = token
        batch.pos[row] = llama_pos(slots[index].cached.count)
        batch.n_seq_id[row] = 1
        batch.seq_id[row]![0] = slots[index].sequence
        batch.logits[row] = output ? 1 : 0
        batch.n_tokens += 1
        slots[index].cached.append(token)
    }

    /// Ends slot `index`'s request normally: flushes held-back text and reports usage.
    private func finish(_ index: Int, reason: FinishReason) {
        guard var run = slots[index].run else { return }
        let rest = run.text.flush()
        if !rest.isEmpty { run.job.continuation.yield(.text(rest)) }
        run.job.continuation.yield(.done(reason, Usage(promptTokens: run.prompt.count, completionTokens: run.generated)))
        run.job.continuation.finish()
        release(index)
    }

    /// Ends slot `index`'s request (if any) with an error.
    private func finish(_ index: Int, error: any Error) {
        guard let run = slots[index].run else { return }
        run.job.continuation.finish(throwing: error)
        release(index)
    }

    /// Frees the slot for the next request; its KV cache stays for prompt reuse.
    private func release(_ index: Int) {
        guard let run = slots[index].run else { return }
        llama_sampler_free(run.sampler)
        slots[index].run = nil
    }

    /// Empties slot `index`'s KV cache (after a failed decode its contents are unknown).
    private func forget(_ index: Int) {
        llama_memory_seq_rm(llama_get_memory(context), slots[index].sequence, -1, -1)
        slots[index].cached = []
    }
}
