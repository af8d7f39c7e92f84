import Foundation
import Synchronization

/// Answers kept with their question's embedding, found again by a question that means the
/// same: within one scope (the caller, the model and everything but the question), the
/// nearest question at or above a similarity that `accepts` (the content gate).
public protocol SemanticAnswerCache: Sendable {
    func nearest(
        in scope: String, to vector: [Float], atLeast threshold: Float, at now: Date, accepts: (String) -> Bool
    ) -> (answer: CachedAnswer, question: String, similarity: Float)?
    func keep(_ answer: CachedAnswer, question: String, vector: [Float], in scope: String, until expiry: Date)
}

/// In memory, bounded in bytes: the least recently used answers go first.
public final class MemorySemanticCache: SemanticAnswerCache {
    private struct Entry {
        var question: String
        var vector: [Float]
        var answer: CachedAnswer
        var bytes: Int
        var expiry: Date
        var lastUse: UInt64
    }

    private struct State {
        var scopes: [String: [Int: Entry]] = [:]
        var bytes = 0
        var clock: UInt64 = 0
        var nextID = 0
    }

    public let capacityBytes: Int
    private let state = Mutex(State())

    public init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    public func nearest(
        in scope: String, to vector: [Float], atLeast threshold: Float, at now: Date, accepts: (String) -> Bool
    ) -> (answer: CachedAnswer, question: String, similarity: Float)? {
        let vector = VectorMath.normalized(vector)
        return state.withLock { state in
            guard let entries = state.scopes[scope] else { return nil }
            var best: (id: Int, similarity: Float)?
            for (id, entry) in entries {
                guard entry.expiry > now else {
                    state.scopes[scope]?[id] = nil
                    state.bytes -= entry.bytes
                    continue
                }
                let similarity = Self.cosine(vector, entry.vector)
                if similarity >= threshold, similarity > best?.similarity ?? -2, accepts(entry.question) {
                    best = (id, similarity)
                }
            }
            guard let best, var entry = state.scopes[scope]?[best.id] else { return nil }
            state.clock += 1
            entry.lastUse = state.clock
            state.scopes[scope]?[best.id] = entry
            return (entry.answer, entry.question, best.similarity)
        }
    }

    public func keep(_ answer: CachedAnswer, question: String, vector: [Float], in scope: String, until expiry: Date) {
        let bytes = answer.bytes + question.utf8.count + vector.count * 4 + scope.utf8.count
        guard bytes <= capacityBytes / 16 else { return }
        state.withLock { state in
            state.clock += 1
            state.nextID += 1
            state.scopes[scope, default: [:]][state.nextID] = Entry(
                question: question, vector: VectorMath.normalized(vector), answer: answer, bytes: bytes, expiry: expiry,
                lastUse: state.clock)
            state.bytes += bytes
            while state.bytes > capacityBytes {
                var oldest: (scope: String, id: Int, lastUse: UInt64)?
                for (name, entries) in state.scopes {
                    for (id, entry) in entries where entry.lastUse < oldest?.lastUse ?? .max { oldest = (name, id, entry.lastUse) }
                }
                guard let oldest, let entry = state.scopes[oldest.scope]?.removeValue(forKey: oldest.id) else { break }
                state.bytes -= entry.bytes
                if state.scopes[oldest.scope]?.isEmpty == true { state.scopes[oldest.scope] = nil }
            }
        }
    }

    /// Answers kept now, and the bytes they take.
    public var usage: (answers: Int, bytes: Int) { state.withLock { ($0.scopes.values.reduce(0) { $0 + $1.count }, $0.bytes) } }

    /// The cosine of two vectors of length 1 (1: same direction).
    public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count, !a.isEmpty else { return -1 }
        return a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in VectorMath.dot(a.baseAddress!, b.baseAddress!, count: a.count) }
        }
    }
}
