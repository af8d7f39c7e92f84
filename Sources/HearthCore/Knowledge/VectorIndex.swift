import Foundation
import Synchronization

/// A nearest-neighbour index over unit vectors, scored by cosine similarity (inner product).
/// The store of record keeps the vectors; an index can always be rebuilt from it. The
/// SQLite store uses `HNSWIndex`; a PostgreSQL backend would use pgvector behind the same
/// calls.
public protocol VectorIndex: AnyObject, Sendable {
    /// The length every vector must have.
    var dimensions: Int { get }
    /// Vectors in the index (removed ones excluded).
    var count: Int { get }
    /// Adds `vector` under `id`, replacing a vector the id had.
    /// - Throws: `HearthError.invalidRequest` when the length is not `dimensions`.
    func insert(_ id: Int64, vector: [Float]) throws
    /// Removes `id`; a missing id is ignored.
    func remove(_ id: Int64)
    /// The `k` vectors most similar to `query`, best first; `allow` keeps only the ids it
    /// accepts.
    func search(_ query: [Float], k: Int, allow: ((Int64) -> Bool)?) -> [RankedChunk]
}

/// Exact search by scanning every vector: the in-memory reference, and right for small sets.
public final class ExactVectorIndex: VectorIndex {
    private struct State {
        var ids: [Int64] = []
        var slots: [Int64: Int] = [:]
        var vectors: [Float] = []
    }

    public let dimensions: Int
    private let state = Mutex(State())

    public init(dimensions: Int) {
        self.dimensions = dimensions
    }

    public var count: Int { state.withLock { $0.ids.count } }

    public func insert(_ id: Int64, vector: [Float]) throws {
        try VectorMath.check(vector, dimensions: dimensions)
        state.withLock { state in
            if let slot = state.slots[id] {
                state.vectors.replaceSubrange(slot * dimensions..<(slot + 1) * dimensions, with: vector)
            } else {
                state.slots[id] = state.ids.count
                state.ids.append(id)
                state.vectors.append(contentsOf: vector)
            }
        }
    }

    public func remove(_ id: Int64) {
        state.withLock { state in
            guard let slot = state.slots.removeValue(forKey: id) else { return }
            let last = state.ids.count - 1
            if slot != last {
                let moved = state.ids[last]
                state.ids[slot] = moved
                state.slots[moved] = slot
                for d in 0..<dimensions { state.vectors[slot * dimensions + d] = state.vectors[last * dimensions + d] }
            }
            state.ids.removeLast()
            state.vectors.removeLast(dimensions)
        }
    }

    public func search(_ query: [Float], k: Int, allow: ((Int64) -> Bool)?) -> [RankedChunk] {
        guard query.count == dimensions, k > 0 else { return [] }
        return state.withLock { state in
            var best = TopK(k)
            query.withUnsafeBufferPointer { q in
                state.vectors.withUnsafeBufferPointer { all in
                    for (slot, id) in state.ids.enumerated() where allow?(id) ?? true {
                        let score = VectorMath.dot(q.baseAddress!, all.baseAddress! + slot * dimensions, count: dimensions)
                        best.offer(id, Double(score))
                    }
                }
            }
            return best.sorted()
        }
    }
}

/// The `k` best (highest-scoring) ids seen so far.
public struct TopK {
    private let k: Int
    private var items: [RankedChunk] = []

    public init(_ k: Int) {
        self.k = k
        items.reserveCapacity(k + 1)
    }

    public mutating func offer(_ id: Int64, _ score: Double) {
        if items.count == k, let worst = items.last, score <= worst.score { return }
        let at = items.firstIndex { $0.score < score } ?? items.count
        items.insert(RankedChunk(id: id, score: score), at: at)
        if items.count > k { items.removeLast() }
    }

    public func sorted() -> [RankedChunk] { items }
}

/// Vector arithmetic shared by the indexes.
public enum VectorMath {
    /// The inner product of two vectors of `count` floats, 32 lanes at a time (AVX-512 or
    /// AVX2 where the build machine has them: see Package.swift).
    @inlinable @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var index = 0
        var sum0 = SIMD16<Float>()
        var sum1 = SIMD16<Float>()
        let rawA = UnsafeRawPointer(a)
        let rawB = UnsafeRawPointer(b)
        while index + 32 <= count {
            let offset = index &* 4
            sum0 +=
                rawA.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            sum1 +=
                rawA.loadUnaligned(fromByteOffset: offset &+ 64, as: SIMD16<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: offset &+ 64, as: SIMD16<Float>.self)
            index &+= 32
        }
        while index + 16 <= count {
            let offset = index &* 4
            sum0 +=
                rawA.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            index &+= 16
        }
        var sum = (sum0 + sum1).sum()
        while index < count {
            sum += a[index] * b[index]
            index &+= 1
        }
        return sum
    }

    /// The inner products of `q` with four vectors at once: four independent memory streams
    /// keep the processor busy while vectors arrive from memory.
    @inlinable @inline(__always)
    public static func dot4(
        _ q: UnsafePointer<Float>, _ v0: UnsafePointer<Float>, _ v1: UnsafePointer<Float>, _ v2: UnsafePointer<Float>,
        _ v3: UnsafePointer<Float>, count: Int
    ) -> SIMD4<Float> {
        var s0 = SIMD16<Float>()
        var s1 = SIMD16<Float>()
        var s2 = SIMD16<Float>()
        var s3 = SIMD16<Float>()
        let rq = UnsafeRawPointer(q)
        let r0 = UnsafeRawPointer(v0)
        let r1 = UnsafeRawPointer(v1)
        let r2 = UnsafeRawPointer(v2)
        let r3 = UnsafeRawPointer(v3)
        var index = 0
        while index + 16 <= count {
            let offset = index &* 4
            let x = rq.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            s0 += x * r0.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            s1 += x * r1.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            s2 += x * r2.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            s3 += x * r3.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            index &+= 16
        }
        var result = SIMD4<Float>(s0.sum(), s1.sum(), s2.sum(), s3.sum())
        while index < count {
            result += SIMD4(q[index] * v0[index], q[index] * v1[index], q[index] * v2[index], q[index] * v3[index])
            index &+= 1
        }
        return result
    }

    /// Checks a vector's length and that it holds only finite numbers.
    /// - Throws: `HearthError.invalidRequest`.
    public static func check(_ vector: [Float], dimensions: Int) throws {
        guard vector.count == dimensions else {
            throw HearthError.invalidRequest("a vector has \(vector.count) dimensions where the index has \(dimensions)")
        }
        guard vector.allSatisfy(\.isFinite) else { throw HearthError.invalidRequest("a vector holds a value that is not finite") }
    }

    /// `vector` scaled to length 1 (unchanged when it is all zeros).
    public static func normalized(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }
}
