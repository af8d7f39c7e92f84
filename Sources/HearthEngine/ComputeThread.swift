import Foundation

/// The one thread on which every llama.cpp computation of the process runs (each model's
/// decodes, each embedding lane's batches), one at a time.
///
/// Why: llama.cpp is built with OpenMP, and OpenMP gives each thread that starts parallel work
/// a team of worker threads of its own. With a batch loop per model (and an embedding lane
/// each), two models in use made two or more teams; once libgomp counts more of its threads
/// than the machine has cores, it stops spinning in barriers and sleeps in the kernel instead.
/// ggml passes a barrier after every operation, hundreds per token, so a second model that had
/// answered once slowed the first to less than half its speed (measured: smollm2:135m from 103
/// to 43 tokens/s on two cores after one request to gemma3:270m; `perf` showed a quarter of the
/// time in futex wake-ups and task switches). Computing on one thread keeps one team: the
/// inference threads are this thread and its `threads - 1` workers, never more, whatever the
/// number of models, and two busy models take turns a batch at a time instead of
/// oversubscribing the cores.
///
/// Turns: generation steps and background work (embedding batches) each run in the order
/// asked. While a generation is running, the time background work took is given back to
/// generation before more background work runs, so that an ingestion beside a chat shares
/// the machine with it half and half: neither stalls the other.
final class ComputeThread: @unchecked Sendable {
    /// The process's compute thread.
    static let shared = ComputeThread()

    /// Its name, which OpenMP's workers (created from it) inherit.
    static let name = "hearth-compute"

    enum Priority {
        /// A batch loop's step: a running generation waits for it.
        case generation
        /// An embedding batch.
        case background
    }

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var generation: [() -> Void] = []
    private var background: [() -> Void] = []
    /// Background time not yet matched by generation time.
    private var owed: Duration = .zero
    private var generationEnded = ContinuousClock.now - .seconds(60)

    private init() {
        let thread = Thread { [self] in loop() }
        thread.name = Self.name
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Whether a generation step ran in the last 200 ms: then background work goes in small
    /// pieces, so that the generation keeps its pace.
    var generationIsRunning: Bool {
        condition.lock()
        defer { condition.unlock() }
        return ContinuousClock.now - generationEnded < .milliseconds(200)
    }

    /// Runs `body` on the compute thread and waits for it (the caller blocks: call it from an
    /// engine thread, never from Swift's cooperative pool).
    func run<T>(_ priority: Priority, _ body: () -> T) -> T {
        withoutActuallyEscaping(body) { body in
            let call = Call(body)
            let done = DispatchSemaphore(value: 0)
            condition.lock()
            switch priority {
            case .generation:
                generation.append {
                    call.run(); done.signal()
                }
            case .background:
                background.append {
                    call.run(); done.signal()
                }
            }
            condition.signal()
            condition.unlock()
            done.wait()
            return call.result!
        }
    }

    private func loop() {
        // The name the kernel shows (and OpenMP's workers inherit); Foundation sets none on Linux.
        try? Self.name.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
        while true {
            condition.lock()
            while generation.isEmpty && background.isEmpty { condition.wait() }
            // Between the steps of a running generation that is owed time, wait a moment for
            // its next step (it is sampling) rather than start background work.
            if generation.isEmpty, owed > .zero, ContinuousClock.now - generationEnded < .milliseconds(20) {
                let deadline = Date(timeIntervalSinceNow: 0.005)
                while generation.isEmpty && condition.wait(until: deadline) {}
            }
            // Background work waits only while it owes generation time: neither starves.
            let isGeneration = !generation.isEmpty && (background.isEmpty || owed > .zero)
            let job = isGeneration ? generation.removeFirst() : background.removeFirst()
            condition.unlock()

            let started = ContinuousClock.now
            job()
            let ended = ContinuousClock.now

            condition.lock()
            if isGeneration {
                owed = max(.zero, owed - (ended - started))
                generationEnded = ended
            } else if started - generationEnded < .milliseconds(200) {
                owed += ended - started
            }
            condition.unlock()
        }
    }
}

/// A call handed from an engine thread to the compute thread: the caller waits until it has
/// run, so its closure and result are never touched by two threads at once.
private final class Call<T>: @unchecked Sendable {
    private var body: (() -> T)?
    var result: T?

    init(_ body: @escaping () -> T) { self.body = body }

    /// Runs the closure once and lets go of it before the caller goes on (the caller's closure
    /// must not outlive its call: `withoutActuallyEscaping` checks).
    func run() {
        result = body?()
        body = nil
    }
}
