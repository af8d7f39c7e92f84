internal import CLlama
import Dispatch
import HearthCore
import Synchronization

/// When an engine stops answering because the server is shutting down: work still running
/// then ends with `Cutoff.error`, and a decode in progress is aborted (llama.cpp asks
/// `isPast` between the graph's operations), so that a slow decode cannot hold up the exit.
final class Cutoff: Sendable {
    /// The moment, in `DispatchTime` uptime nanoseconds (`UInt64.max`: none yet).
    private let deadline = Atomic<UInt64>(.max)

    /// What answers and embeddings cut short end with.
    static let error = HearthError(.unavailable, "the server is shutting down; the answer was cut short")

    /// Sets the moment `grace` from now (only the first call counts).
    func set(after grace: Duration) {
        let (seconds, attoseconds) = grace.components
        let nanoseconds = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
        _ = deadline.compareExchange(expected: .max, desired: DispatchTime.now().uptimeNanoseconds + nanoseconds, ordering: .releasing)
    }

    /// Asked between every two operations of a decode: without a moment set, no clock is read.
    var isPast: Bool {
        let moment = deadline.load(ordering: .acquiring)
        return moment != .max && DispatchTime.now().uptimeNanoseconds >= moment
    }

    /// Makes llama.cpp abort `context`'s computations once the moment has passed.
    func abort(_ context: OpaquePointer) {
        llama_set_abort_callback(
            context, { data in data.map { Unmanaged<Cutoff>.fromOpaque($0).takeUnretainedValue().isPast } ?? false },
            Unmanaged.passUnretained(self).toOpaque())
    }
}
