import Foundation
import HearthCore
import Synchronization

/// A Hierarchical Navigable Small World graph (Malkov & Yashunin) over unit vectors, scored
/// by inner product. Inserts and removals are incremental (a removal leaves a tombstone that
/// searches walk through but never return); `write(to:)` and `read(from:)` persist it.
/// Searches run concurrently; inserts and removals take the index for themselves.
public final class HNSWIndex: VectorIndex, @unchecked Sendable {
    /// The graph's knobs, named as in hnswlib.
    public struct Parameters: Sendable, Equatable {
        /// Links per node on upper layers (twice as many on layer 0).
        public var m: Int
        /// Candidates kept while inserting: higher builds a better graph, slower.
        public var efConstruction: Int
        /// Candidates kept while searching (at least k): higher finds more, slower.
        public var efSearch: Int
        /// At or below this many vectors, searches scan them all (exact).
        public var exactBelow: Int

        public init(m: Int = 16, efConstruction: Int = 200, efSearch: Int = 64, exactBelow: Int = 1000) {
            self.m = max(2, m)
            self.efConstruction = max(1, efConstruction)
            self.efSearch = max(1, efSearch)
            self.exactBelow = max(0, exactBelow)
        }
    }

    /// The store's change counters this index reflects, so that it can catch up after a load.
    public struct Watermark: Sendable, Equatable {
        public var lastInsert: Int64
        public var lastDelete: Int64

        public init(lastInsert: Int64 = 0, lastDelete: Int64 = 0) {
            self.lastInsert = lastInsert
            self.lastDelete = lastDelete
        }
    }

    public let dimensions: Int
    public let parameters: Parameters
    let maxM0: Int
    let levelMultiplier: Double
    let lock = ReadWriteLock()
    let visitedPool = Mutex<[VisitedList]>([])

    // Everything below is guarded by `lock`.
    var capacity = 0
    var nodes = 0
    var vectors = UnsafeMutablePointer<Float>.allocate(capacity: 0)
    /// Layer 0: per node a count then `maxM0` neighbour slots.
    var level0 = UnsafeMutablePointer<Int32>.allocate(capacity: 0)
    /// Layers 1…level: per node, per layer a count then `m` neighbour slots.
    var upper: [[Int32]] = []
    var levels: [Int32] = []
    var ids: [Int64] = []
    var removed: [Bool] = []
    var slots: [Int64: Int32] = [:]
    var entryPoint: Int32 = -1
    var maxLevel = -1
    var random: SplitMix64
    var _watermark = Watermark()

    /// An empty index.
    public init(dimensions: Int, parameters: Parameters = Parameters(), seed: UInt64 = 100) {
        self.dimensions = dimensions
        self.parameters = parameters
        maxM0 = parameters.m * 2
        levelMultiplier = 1 / log(Double(parameters.m))
        random = SplitMix64(seed: seed)
    }

    deinit {
        vectors.deallocate()
        level0.deallocate()
    }

    public var count: Int { lock.reading { slots.count } }
    /// Nodes that were removed but still sit in the graph.
    public var tombstones: Int { lock.reading { nodes - slots.count } }

    public var watermark: Watermark {
        get { lock.reading { _watermark } }
        set { lock.writing { _watermark = newValue } }
    }

    // MARK: - Changes

    public func insert(_ id: Int64, vector: [Float]) throws {
        try insert([(id: id, vector: vector)])
    }

    /// Inserts many vectors under one hold of the index.
    /// - Throws: `HearthError.invalidRequest` when a vector has the wrong length; nothing is added then.
    public func insert(_ batch: [(id: Int64, vector: [Float])]) throws {
        for item in batch { try VectorMath.check(item.vector, dimensions: dimensions) }
        lock.writing {
            for (id, vector) in batch {
                markRemoved(id)
                add(id, vector)
            }
        }
    }

    public func remove(_ id: Int64) {
        lock.writing { markRemoved(id) }
    }

    /// Tombstones the id's node, if it has one (the write lock is held).
    func markRemoved(_ id: Int64) {
        if let slot = slots.removeValue(forKey: id) { removed[Int(slot)] = true }
    }

    func add(_ id: Int64, _ vector: [Float]) {
        if nodes == capacity { grow(to: max(1024, capacity * 2)) }
        let slot = Int32(nodes)
        nodes += 1
        vector.withUnsafeBufferPointer { (vectors + Int(slot) * dimensions).update(from: $0.baseAddress!, count: dimensions) }
        let level = Int(-log(max(random.nextUnit(), 1e-12)) * levelMultiplier)
        levels.append(Int32(level))
        ids.append(id)
        removed.append(false)
        upper.append(level > 0 ? [Int32](repeating: 0, count: level * (parameters.m + 1)) : [])
        level0[Int(slot) * (maxM0 + 1)] = 0
        slots[id] = slot

        guard entryPoint >= 0 else {
            entryPoint = slot
            maxLevel = level
            return
        }
        let query = vectors + Int(slot) * dimensions
        var current = entryPoint
        var currentDistance = distance(query, current)
        if level < maxLevel {
            for layer in stride(from: maxLevel, to: level, by: -1) {
                (current, currentDistance) = greedy(query, from: current, distance: currentDistance, layer: layer)
            }
        }
        let visited = takeVisitedList()
        defer { returnVisitedList(visited) }
        for layer in stride(from: min(level, maxLevel), through: 0, by: -1) {
            var found = searchLayer(query, entry: current, ef: parameters.efConstruction, layer: layer, visited: visited, allow: nil)
            current = connect(slot, found: &found, layer: layer)
        }
        if level > maxLevel {
            entryPoint = slot
            maxLevel = level
        }
    }

    func grow(to newCapacity: Int) {
        let newVectors = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * dimensions)
        newVectors.update(from: vectors, count: nodes * dimensions)
        vectors.deallocate()
        vectors = newVectors
        let newLevel0 = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity * (maxM0 + 1))
        newLevel0.update(from: level0, count: nodes * (maxM0 + 1))
        level0.deallocate()
        level0 = newLevel0
        capacity = newCapacity
        levels.reserveCapacity(newCapacity)
        ids.reserveCapacity(newCapacity)
        removed.reserveCapacity(newCapacity)
        upper.reserveCapacity(newCapacity)
    }

    /// Links `slot` to the best of `found` on `layer` and them back to it; returns the
    /// closest found node, the entry for the next layer down.
    func connect(_ slot: Int32, found: inout DistanceHeap, layer: Int) -> Int32 {
        let maxLinks = layer == 0 ? maxM0 : parameters.m
        var candidates: [(Float, Int32)] = []
        candidates.reserveCapacity(found.count)
        while let top = found.popTop() { candidates.append(top) }
        candidates.reverse()
        let selected = selectNeighbours(candidates, limit: parameters.m)
        setLinks(slot, layer: layer, to: selected.map(\.1))
        for (_, neighbour) in selected {
            var links = self.links(neighbour, layer: layer)
            if links.count < maxLinks {
                links.append(slot)
                setLinks(neighbour, layer: layer, to: links)
            } else {
                let base = vectors + Int(neighbour) * dimensions
                var pool = links.map { (distance(base, $0), $0) }
                pool.append((distance(base, slot), slot))
                pool.sort { $0.0 < $1.0 }
                setLinks(neighbour, layer: layer, to: selectNeighbours(pool, limit: maxLinks).map(\.1))
            }
        }
        return candidates.first?.1 ?? slot
    }

    /// hnswlib's heuristic: keep a candidate only if it is closer to the base than to every
    /// candidate kept before it. `sorted` is nearest first.
    func selectNeighbours(_ sorted: [(Float, Int32)], limit: Int) -> [(Float, Int32)] {
        guard sorted.count > limit else { return sorted }
        var kept: [(Float, Int32)] = []
        kept.reserveCapacity(limit)
        for candidate in sorted {
            let base = vectors + Int(candidate.1) * dimensions
            if kept.allSatisfy({ distance(base, $0.1) >= candidate.0 }) {
                kept.append(candidate)
                if kept.count == limit { break }
            }
        }
        return kept
    }

    func links(_ slot: Int32, layer: Int) -> [Int32] {
        if layer == 0 {
            let base = level0 + Int(slot) * (maxM0 + 1)
            return Array(UnsafeBufferPointer(start: base + 1, count: Int(base[0])))
        }
        let offset = (layer - 1) * (parameters.m + 1)
        let list = upper[Int(slot)]
        return Array(list[(offset + 1)..<(offset + 1 + Int(list[offset]))])
    }

    func setLinks(_ slot: Int32, layer: Int, to links: [Int32]) {
        if layer == 0 {
            let base = level0 + Int(slot) * (maxM0 + 1)
            base[0] = Int32(links.count)
            for (i, link) in links.enumerated() { base[1 + i] = link }
            return
        }
        let offset = (layer - 1) * (parameters.m + 1)
        upper[Int(slot)][offset] = Int32(links.count)
        for (i, link) in links.enumerated() { upper[Int(slot)][offset + 1 + i] = link }
    }
}
