internal import CLlama
import Foundation
import HearthCore

/// The threads on which every llama.cpp computation of the process runs: one compute thread
/// and the workers of a ggml thread pool it starts (all named `hearth-compute`), whatever the
/// number of models. Each model's batch loop and embedding lane hands its decodes here and
/// waits for them; they take turns.
///
/// Why: llama.cpp computes a graph on the calling thread and `threads - 1` helpers. Built with
/// OpenMP (its default), every thread that computes gets a team of helpers of its own, so each
/// model's batch loop and embedding lane had one; once libgomp counts more of its threads than
/// the machine has cores, it stops spinning in barriers and sleeps in the kernel instead, and
/// ggml passes a barrier after every operation, hundreds per token. One request to a second
/// model slowed the first from 103 to 43 tokens/s on two cores for good (`perf`: a quarter of
/// the time in futex wake-ups). So llama.cpp is built without OpenMP (scripts/setup-llama.sh)
/// and every context computes on one pool from one thread: never more inference threads than
/// `threads`, an idle model costs nothing, and two busy models split the machine a batch at a
/// time instead of oversubscribing it.
///
/// Turns are fair in time (`ComputeTurns`), so a stream of large embedding batches cannot
/// starve a generation, nor one model another.
final class ComputePool: @unchecked Sendable {
    /// The process's compute thread and pools.
    static let shared = ComputePool()

    /// The name of its threads (ggml's workers inherit it from the thread that starts them).
    static let name = "hearth-compute"

    private struct Call {
        let owner: OpaquePointer
        let run: () -> Void
    }

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var calls: [Call] = []
    /// Whose call is computing now.
    private var running: OpaquePointer?
    private var turns = ComputeTurns<OpaquePointer>()

    /// ggml thread pools by thread count; touched only by the compute thread.
    private var pools: [Int32: OpaquePointer] = [:]

    private init() {
        let thread = Thread { [self] in loop() }
        thread.name = Self.name
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Decodes (or, for an encoder, encodes) `batch` in `context` on the compute thread and
    /// returns llama.cpp's status. The caller blocks: call it from an engine's own thread.
    func compute(_ context: OpaquePointer, _ batch: llama_batch, encoder: Bool = false) -> Int32 {
        let status = Box<Int32>()
        let done = DispatchSemaphore(value: 0)
        condition.lock()
        calls.append(
            Call(owner: context) { [self] in
                attach(context)
                status.value = encoder ? llama_encode(context, batch) : llama_decode(context, batch)
                done.signal()
            })
        condition.signal()
        condition.unlock()
        done.wait()
        return status.value ?? -1
    }

    /// Whether a context other than `context` is computing, waiting to, or computed in the
    /// last 200 ms: then large work (long prompts, embedding batches) goes in small pieces, so
    /// that the other keeps its pace.
    func othersAreBusy(than context: OpaquePointer) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return (running.map { $0 != context } ?? false) || calls.contains { $0.owner != context }
            || turns.othersAreBusy(than: context, now: .now)
    }

    /// Points `context` at the pool of its thread count (on the compute thread: pools are
    /// started there, so their workers carry its name).
    private func attach(_ context: OpaquePointer) {
        let threads = max(1, llama_n_threads(context), llama_n_threads_batch(context))
        let pool: OpaquePointer
        if let existing = pools[threads] {
            pool = existing
        } else {
            var params = ggml_threadpool_params_default(threads)
            // Workers spin about 2 ms for the next graph (a decode loop's next step comes
            // sooner), then sleep: llama.cpp's default (50) spins ~120 ms, which on a busy
            // machine takes a core from everything else after every graph.
            params.poll = 1
            guard let made = ggml_threadpool_new(&params) else { return }
            pools[threads] = made
            pool = made
        }
        llama_attach_threadpool(context, pool, pool)
    }

    private func loop() {
        // The name the kernel shows; Foundation sets none on Linux.
        try? Self.name.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
        while true {
            condition.lock()
            let call = next()
            running = call.owner
            condition.unlock()

            let started = ContinuousClock.now
            call.run()
            let ended = ContinuousClock.now

            condition.lock()
            running = nil
            turns.ran(call.owner, from: started, to: ended)
            condition.unlock()
        }
    }

    /// The call to run next (waits for one; `condition` is held).
    private func next() -> Call {
        while true {
            while calls.isEmpty { condition.wait() }
            let now = ContinuousClock.now
            switch turns.choose(among: calls.map(\.owner), now: now) {
            case .run(let index):
                return calls.remove(at: index)
            case .wait(let moment):
                _ = condition.wait(until: Date(timeIntervalSinceNow: (moment - now).seconds))
            }
        }
    }
}

/// A value written by the compute thread and read by the caller after its semaphore.
private final class Box<T>: @unchecked Sendable {
    var value: T?
}
