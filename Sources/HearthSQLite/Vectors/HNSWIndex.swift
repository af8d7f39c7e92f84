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
    private let maxM0: Int
    private let levelMultiplier: Double
    private let lock = ReadWriteLock()
    private let visitedPool = Mutex<[VisitedList]>([])

    // Everything below is guarded by `lock`.
    private var capacity = 0
    private var nodes = 0
    private var vectors = UnsafeMutablePointer<Float>.allocate(capacity: 0)
    /// Layer 0: per node a count then `maxM0` neighbour slots.
    private var level0 = UnsafeMutablePointer<Int32>.allocate(capacity: 0)
    /// Layers 1…level: per node, per layer a count then `m` neighbour slots.
    private var upper: [[Int32]] = []
    private var levels: [Int32] = []
    private var ids: [Int64] = []
    private var removed: [Bool] = []
    private var slots: [Int64: Int32] = [:]
    private var entryPoint: Int32 = -1
    private var maxLevel = -1
    private var random: SplitMix64
    private var _watermark = Watermark()

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
    private func markRemoved(_ id: Int64) {
        if let slot = slots.removeValue(forKey: id) { removed[Int(slot)] = true }
    }

    private func add(_ id: Int64, _ vector: [Float]) {
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

    private func grow(to newCapacity: Int) {
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
    private func connect(_ slot: Int32, found: inout DistanceHeap, layer: Int) -> Int32 {
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
    private func selectNeighbours(_ sorted: [(Float, Int32)], limit: Int) -> [(Float, Int32)] {
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

    private func links(_ slot: Int32, layer: Int) -> [Int32] {
        if layer == 0 {
            let base = level0 + Int(slot) * (maxM0 + 1)
            return Array(UnsafeBufferPointer(start: base + 1, count: Int(base[0])))
        }
        let offset = (layer - 1) * (parameters.m + 1)
        let list = upper[Int(slot)]
        return Array(list[(offset + 1)..<(offset + 1 + Int(list[offset]))])
    }

    private func setLinks(_ slot: Int32, layer: Int, to links: [Int32]) {
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

    // MARK: - Search

    public func search(_ query: [Float], k: Int, allow: ((Int64) -> Bool)?) -> [RankedChunk] {
        search(query, k: k, ef: parameters.efSearch, allow: allow)
    }

    /// As `search(_:k:allow:)` with an explicit `ef` (at least `k` is used).
    public func search(_ query: [Float], k: Int, ef: Int, allow: ((Int64) -> Bool)?) -> [RankedChunk] {
        guard query.count == dimensions, k > 0 else { return [] }
        return lock.reading {
            guard entryPoint >= 0 else { return [] }
            return query.withUnsafeBufferPointer { buffer in
                let q = buffer.baseAddress!
                if slots.count <= parameters.exactBelow { return scan(q, k: k, allow: allow) }
                var current = entryPoint
                var currentDistance = distance(q, current)
                for layer in stride(from: maxLevel, to: 0, by: -1) {
                    (current, currentDistance) = greedy(q, from: current, distance: currentDistance, layer: layer)
                }
                let visited = takeVisitedList()
                defer { returnVisitedList(visited) }
                let keep: ((Int32) -> Bool)?
                if let allow {
                    keep = { [ids, removed] slot in !removed[Int(slot)] && allow(ids[Int(slot)]) }
                } else if nodes != slots.count {
                    keep = { [removed] slot in !removed[Int(slot)] }
                } else {
                    keep = nil
                }
                var found = searchLayer(q, entry: current, ef: max(ef, k), layer: 0, visited: visited, allow: keep)
                while found.count > k { _ = found.popTop() }
                var results: [RankedChunk] = []
                results.reserveCapacity(found.count)
                while let (d, slot) = found.popTop() { results.append(RankedChunk(id: ids[Int(slot)], score: Double(1 - d))) }
                return results.reversed()
            }
        }
    }

    /// Exact search among the given ids only (for filters that leave few candidates).
    public func search(_ query: [Float], k: Int, among candidates: [Int64]) -> [RankedChunk] {
        guard query.count == dimensions, k > 0 else { return [] }
        return lock.reading {
            var best = TopK(k)
            query.withUnsafeBufferPointer { buffer in
                for id in candidates {
                    guard let slot = slots[id] else { continue }
                    best.offer(id, Double(1 - distance(buffer.baseAddress!, slot)))
                }
            }
            return best.sorted()
        }
    }

    private func scan(_ q: UnsafePointer<Float>, k: Int, allow: ((Int64) -> Bool)?) -> [RankedChunk] {
        var best = TopK(k)
        for (id, slot) in slots where allow?(id) ?? true {
            best.offer(id, Double(1 - distance(q, slot)))
        }
        return best.sorted()
    }

    @inline(__always)
    private func distance(_ q: UnsafePointer<Float>, _ slot: Int32) -> Float {
        1 - VectorMath.dot(q, vectors + Int(slot) * dimensions, count: dimensions)
    }

    private func greedy(_ q: UnsafePointer<Float>, from start: Int32, distance startDistance: Float, layer: Int) -> (Int32, Float) {
        var current = start
        var best = startDistance
        var changed = true
        while changed {
            changed = false
            let offset = (layer - 1) * (parameters.m + 1)
            upper[Int(current)].withUnsafeBufferPointer { list in
                for i in 0..<Int(list[offset]) {
                    let neighbour = list[offset + 1 + i]
                    let d = distance(q, neighbour)
                    if d < best {
                        best = d
                        current = neighbour
                        changed = true
                    }
                }
            }
        }
        return (current, best)
    }

    /// The `ef` nearest nodes reachable from `entry` on `layer`, as a max-heap by distance.
    private func searchLayer(
        _ q: UnsafePointer<Float>, entry: Int32, ef: Int, layer: Int, visited: VisitedList, allow: ((Int32) -> Bool)?
    ) -> DistanceHeap {
        visited.reset()
        var results = DistanceHeap(capacity: ef + 1)
        var candidates = DistanceHeap(capacity: ef * 4)
        let entryDistance = distance(q, entry)
        visited.visit(entry)
        var bound = Float.greatestFiniteMagnitude
        if allow?(entry) ?? true {
            results.push(entryDistance, entry)
            bound = entryDistance
        }
        candidates.push(-entryDistance, entry)
        let pending = UnsafeMutablePointer<Int32>.allocate(capacity: maxM0)
        let distances = UnsafeMutablePointer<Float>.allocate(capacity: maxM0)
        defer {
            pending.deallocate()
            distances.deallocate()
        }
        while let (negative, node) = candidates.top {
            if -negative > bound && results.count >= ef { break }
            _ = candidates.popTop()
            // Unvisited neighbours first, then their distances four at a time.
            var count = 0
            if layer == 0 {
                let base = level0 + Int(node) * (maxM0 + 1)
                for i in 0..<Int(base[0]) where visited.visit(base[1 + i]) {
                    pending[count] = base[1 + i]
                    count += 1
                }
            } else {
                let offset = (layer - 1) * (parameters.m + 1)
                upper[Int(node)].withUnsafeBufferPointer { list in
                    for i in 0..<Int(list[offset]) where visited.visit(list[offset + 1 + i]) {
                        pending[count] = list[offset + 1 + i]
                        count += 1
                    }
                }
            }
            computeDistances(q, pending, count: count, into: distances)
            for i in 0..<count {
                let d = distances[i]
                guard results.count < ef || d < bound else { continue }
                let neighbour = pending[i]
                candidates.push(-d, neighbour)
                if allow?(neighbour) ?? true {
                    results.push(d, neighbour)
                    if results.count > ef { _ = results.popTop() }
                }
                if let top = results.top { bound = top.0 }
            }
        }
        return results
    }

    @inline(__always)
    private func computeDistances(
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

    private func takeVisitedList() -> VisitedList {
        let list = visitedPool.withLock { $0.popLast() } ?? VisitedList(capacity: capacity)
        list.ensure(capacity: max(nodes, 1))
        return list
    }

    private func returnVisitedList(_ list: VisitedList) {
        visitedPool.withLock { $0.append(list) }
    }

    // MARK: - Persistence

    private static let magic: UInt64 = 0x4854_4833_4E53_5748  // "HWSN3HTH"

    /// Writes the index to `url` atomically (a temporary file renamed into place).
    /// - Throws: file-system errors.
    public func write(to url: URL) throws {
        try lock.reading {
            var data = Data()
            func put<T>(_ value: T) { withUnsafeBytes(of: value) { data.append(contentsOf: $0) } }
            for value in [
                Int64(bitPattern: Self.magic), Int64(dimensions), Int64(parameters.m), Int64(parameters.efConstruction),
                Int64(parameters.efSearch), Int64(parameters.exactBelow), Int64(nodes), Int64(entryPoint), Int64(maxLevel),
                _watermark.lastInsert, _watermark.lastDelete,
            ] {
                put(value)
            }
            data.append(UnsafeBufferPointer(start: vectors, count: nodes * dimensions))
            data.append(UnsafeBufferPointer(start: level0, count: nodes * (maxM0 + 1)))
            ids.withUnsafeBufferPointer { data.append($0) }
            levels.withUnsafeBufferPointer { data.append($0) }
            data.append(contentsOf: removed.map { $0 ? 1 : 0 })
            for list in upper { list.withUnsafeBufferPointer { data.append($0) } }
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
            try data.write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                try? FileManager.default.removeItem(at: temporary)
                throw HearthError(.internalError, "cannot write \(url.path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Reads an index written by `write(to:)`.
    /// - Throws: `HearthError.internalError` when the file is not a complete index.
    public static func read(from url: URL) throws -> HNSWIndex {
        let data = try Data(contentsOf: url, options: .mappedIfSafe)
        let corrupt = HearthError(.internalError, "\(url.lastPathComponent) is not a complete vector index")
        var offset = 0
        func take<T>(_ count: Int, as type: T.Type) throws -> [T] {
            let bytes = count * MemoryLayout<T>.stride
            guard count >= 0, offset + bytes <= data.count else { throw corrupt }
            defer { offset += bytes }
            return data.withUnsafeBytes { raw in
                (0..<count).map { raw.loadUnaligned(fromByteOffset: offset + $0 * MemoryLayout<T>.stride, as: T.self) }
            }
        }
        let header = try take(11, as: Int64.self)
        guard UInt64(bitPattern: header[0]) == magic, header[1] > 0, header[2] > 1, header[6] >= 0 else { throw corrupt }
        let index = HNSWIndex(
            dimensions: Int(header[1]),
            parameters: Parameters(m: Int(header[2]), efConstruction: Int(header[3]), efSearch: Int(header[4]), exactBelow: Int(header[5])))
        let nodes = Int(header[6])
        let vectorBytes = nodes * index.dimensions * 4
        let linkBytes = nodes * (index.maxM0 + 1) * 4
        guard offset + vectorBytes + linkBytes <= data.count else { throw corrupt }
        index.grow(to: max(nodes, 1))
        data.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(index.vectors).copyMemory(from: raw.baseAddress! + offset, byteCount: vectorBytes)
            UnsafeMutableRawPointer(index.level0).copyMemory(from: raw.baseAddress! + offset + vectorBytes, byteCount: linkBytes)
        }
        offset += vectorBytes + linkBytes
        index.nodes = nodes
        index.ids = try take(nodes, as: Int64.self)
        index.levels = try take(nodes, as: Int32.self)
        index.removed = try take(nodes, as: UInt8.self).map { $0 != 0 }
        for level in index.levels {
            guard level >= 0, level < 64 else { throw corrupt }
            index.upper.append(level > 0 ? try take(Int(level) * (index.parameters.m + 1), as: Int32.self) : [])
        }
        guard offset == data.count, header[7] < nodes, header[8] < 64 else { throw corrupt }
        for (slot, id) in index.ids.enumerated() where !index.removed[slot] { index.slots[id] = Int32(slot) }
        index.entryPoint = Int32(header[7])
        index.maxLevel = Int(header[8])
        index._watermark = Watermark(lastInsert: header[9], lastDelete: header[10])
        return index
    }
}

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
