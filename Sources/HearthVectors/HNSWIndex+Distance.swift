import Foundation
import HearthCore

/// Scores in the graph are distances: 1 − inner product of unit vectors (SIMD kernels in `VectorMath`).
extension HNSWIndex {
    @inline(__always)
    func distance(_ q: UnsafePointer<Float>, _ slot: Int32) -> Float {
        1 - VectorMath.dot(q, vectors + Int(slot) * dimensions, count: dimensions)
    }

    @inline(__always)
    func computeDistances(
        _ q: UnsafePointer<Float>, _ slots: UnsafePointer<Int32>, count: Int, into out: UnsafeMutablePointer<Float>
    ) {
        var i = 0
        while i + 4 <= count {
            let dots = VectorMath.dot4(
                q, vectors + Int(slots[i]) * dimensions, vectors + Int(slots[i + 1]) * dimensions,
                vectors + Int(slots[i + 2]) * dimensions, vectors + Int(slots[i + 3]) * dimensions, count: dimensions)
            out[i] = 1 - dots[0]
            out[i + 1] = 1 - dots[1]
            out[i + 2] = 1 - dots[2]
            out[i + 3] = 1 - dots[3]
            i += 4
        }
        while i < count {
            out[i] = distance(q, slots[i])
            i += 1
        }
    }
}
