/// How the batch loop places a prompt into one of its sequences and how much of that
/// sequence's KV cache it keeps: plain functions of tokens, tested without a model.
enum SlotPolicy {
    /// What the loop knows of a free sequence.
    struct Candidate: Equatable {
        /// Tokens in its KV cache, positions 0..<count.
        var cached: [Int32]
        /// When it last took a request (a step counter; larger is more recent).
        var lastUsed: Int
    }

    /// The position in `free` of the sequence whose cache shares the longest prefix with
    /// `prompt`; among equals the least recently used, so that caches still in use by
    /// conversations survive longest. Nil when nothing is free.
    static func choose(among free: [Candidate], for prompt: [Int32]) -> Int? {
        free.indices.max { a, b in
            let (pa, pb) = (commonPrefix(free[a].cached, prompt), commonPrefix(free[b].cached, prompt))
            return pa != pb ? pa < pb : free[a].lastUsed > free[b].lastUsed
        }
    }

    /// How many leading tokens of `prompt` can stay in a cache that holds `cached`. At least
    /// the last prompt token is evaluated again, for its logits. With sliding-window
    /// attention (`window` > 0) the cache holds only the last window of positions, from
    /// `oldestPosition` on: a prefix is usable only if the window before its end is there.
    static func reusablePrefix(cached: [Int32], prompt: [Int32], window: Int = 0, oldestPosition: Int = 0) -> Int {
        let keep = min(commonPrefix(cached, prompt), max(0, prompt.count - 1))
        if keep > 0, window > 0, oldestPosition > max(0, keep - window) { return 0 }
        return keep
    }

    static func commonPrefix(_ a: [Int32], _ b: [Int32]) -> Int {
        var count = 0
        while count < a.count, count < b.count, a[count] == b[count] { count += 1 }
        return count
    }
}

/// Requests waiting for a sequence, oldest first, with a bound on how many may wait.
struct AdmissionQueue<Job> {
    /// Most jobs that may wait; one more is refused.
    let capacity: Int
    private(set) var waiting: [Job] = []

    init(capacity: Int) { self.capacity = max(0, capacity) }

    /// Adds `job` at the back. Returns false, leaving the queue as it was, when it is full.
    mutating func enqueue(_ job: Job) -> Bool {
        guard waiting.count < capacity else { return false }
        waiting.append(job)
        return true
    }

    /// Takes the oldest jobs that fit `free` sequences, and every cancelled job, out of
    /// the queue; a cancelled job never takes a sequence.
    mutating func admit(free: Int, isCancelled: (Job) -> Bool) -> (admitted: [Job], cancelled: [Job]) {
        var admitted: [Job] = []
        var cancelled: [Job] = []
        var rest: [Job] = []
        for job in waiting {
            if isCancelled(job) {
                cancelled.append(job)
            } else if admitted.count < free {
                admitted.append(job)
            } else {
                rest.append(job)
            }
        }
        waiting = rest
        return (admitted, cancelled)
    }

    /// Empties the queue, returning what waited.
    mutating func removeAll() -> [Job] {
        defer { waiting = [] }
        return waiting
    }
}
