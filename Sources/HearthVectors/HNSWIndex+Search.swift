import Foundation
import HearthCore

extension HNSWIndex {
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

    func scan(_ q: UnsafePointer<Float>, k: Int, allow: ((Int64) -> Bool)?) -> [RankedChunk] {
        var best = TopK(k)
        for (id, slot) in slots where allow?(id) ?? true {
            best.offer(id, Double(1 - distance(q, slot)))
        }
        return best.sorted()
    }

    func greedy(_ q: UnsafePointer<Float>, from start: Int32, distance startDistance: Float, layer: Int) -> (Int32, Float) {
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
    func searchLayer(
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

    func takeVisitedList() -> VisitedList {
        let list = visitedPool.withLock { $0.popLast() } ?? VisitedList(capacity: capacity)
        list.ensure(capacity: max(nodes, 1))
        return list
    }

    func returnVisitedList(_ list: VisitedList) {
        visitedPool.withLock { $0.append(list) }
    }
}
