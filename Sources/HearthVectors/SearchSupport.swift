import Foundation
import Synchronization

/// A binary max-heap of (distance, node) pairs.
struct DistanceHeap {
    private var keys: [Float] = []
    private var values: [Int32] = []

    init(capacity: Int) {
        keys.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
    }

    var count: Int { keys.count }
    var top: (Float, Int32)? { keys.isEmpty ? nil : (keys[0], values[0]) }

    mutating func push(_ key: Float, _ value: Int32) {
        keys.append(key)
        values.append(value)
        var child = keys.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard keys[parent] < keys[child] else { break }
            keys.swapAt(parent, child)
            values.swapAt(parent, child)
            child = parent
        }
    }

    mutating func popTop() -> (Float, Int32)? {
        guard let result = top else { return nil }
        let lastKey = keys.removeLast()
        let lastValue = values.removeLast()
        guard !keys.isEmpty else { return result }
        keys[0] = lastKey
        values[0] = lastValue
        var parent = 0
        let n = keys.count
        while true {
            let left = 2 * parent + 1
            guard left < n else { break }
            let right = left + 1
            let child = right < n && keys[right] > keys[left] ? right : left
            guard keys[child] > keys[parent] else { break }
            keys.swapAt(parent, child)
            values.swapAt(parent, child)
            parent = child
        }
        return result
    }
}

/// Marks of visited nodes for one search, cleared in O(1) by bumping a generation.
final class VisitedList: @unchecked Sendable {
    private var marks: UnsafeMutablePointer<UInt16>
    private var size: Int
    private var generation: UInt16 = 0

    init(capacity: Int) {
        size = max(capacity, 1)
        marks = .allocate(capacity: size)
        marks.initialize(repeating: 0, count: size)
    }

    deinit { marks.deallocate() }

    func ensure(capacity: Int) {
        guard capacity > size else { return }
        marks.deallocate()
        size = capacity * 2
        marks = .allocate(capacity: size)
        marks.initialize(repeating: 0, count: size)
        generation = 0
    }

    func reset() {
        generation &+= 1
        if generation == 0 {
            marks.update(repeating: 0, count: size)
            generation = 1
        }
    }

    /// Marks `node`; false when it was already marked.
    @inline(__always)
    @discardableResult
    func visit(_ node: Int32) -> Bool {
        if marks[Int(node)] == generation { return false }
        marks[Int(node)] = generation
        return true
    }
}

/// A small, seedable random generator, so that a graph is the same on every run.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    mutating func nextUnit() -> Double { Double((next() >> 11) + 1) / Double(1 << 53) }
}

/// A reader–writer lock: many readers or one writer.
final class ReadWriteLock: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    init() { pthread_rwlock_init(lock, nil) }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func reading<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    func writing<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}
