import Foundation
import HearthCore
import HearthVectors
import Testing

@Suite("HNSW index")
struct HNSWIndexTests {
    /// Unit vectors around 20 centres, seeded.
    static func vectors(_ count: Int, dimensions: Int = 32, seed: UInt64 = 1) -> [[Float]] {
        var state = seed
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) - 0.5
        }
        let centres = (0..<20).map { _ in (0..<dimensions).map { _ in next() } }
        return (0..<count).map { i in VectorMath.normalized(centres[i % 20].map { $0 + next() * 0.6 }) }
    }

    @Test("finds what an exact scan finds (recall@10 ≥ 0.95)")
    func recall() throws {
        let data = Self.vectors(3000)
        let index = HNSWIndex(dimensions: 32, parameters: .init(m: 16, efConstruction: 200, efSearch: 100, exactBelow: 0))
        let exact = ExactVectorIndex(dimensions: 32)
        for (i, vector) in data.enumerated() {
            try index.insert(Int64(i), vector: vector)
            try exact.insert(Int64(i), vector: vector)
        }
        var found = 0
        let queries = Self.vectors(100, seed: 99)
        for query in queries {
            let truth = Set(exact.search(query, k: 10, allow: nil).map(\.id))
            found += index.search(query, k: 10, allow: nil).filter { truth.contains($0.id) }.count
        }
        #expect(Double(found) / 1000 >= 0.95)
        #expect(index.count == 3000)
    }

    @Test("removed vectors and filtered-out ids are never returned")
    func removal() throws {
        let data = Self.vectors(2000)
        let index = HNSWIndex(dimensions: 32, parameters: .init(exactBelow: 0))
        for (i, vector) in data.enumerated() { try index.insert(Int64(i), vector: vector) }
        for id in stride(from: 0, to: 2000, by: 2) { index.remove(Int64(id)) }
        #expect(index.count == 1000)
        for query in data.prefix(20) {
            let hits = index.search(query, k: 10, allow: nil)
            #expect(hits.count == 10)
            #expect(hits.allSatisfy { $0.id % 2 == 1 })
            let allowed = index.search(query, k: 10, allow: { $0 % 3 == 0 })
            #expect(allowed.count == 10 && allowed.allSatisfy { $0.id % 3 == 0 && $0.id % 2 == 1 })
        }
        // Replacing a vector moves the id.
        try index.insert(1, vector: data[2])
        #expect(index.search(data[2], k: 1, allow: nil).first?.id == 1)
    }

    @Test("written and read back, it answers the same; a cut file is refused")
    func persistence() throws {
        let data = Self.vectors(1500)
        let index = HNSWIndex(dimensions: 32, parameters: .init(exactBelow: 0))
        for (i, vector) in data.enumerated() { try index.insert(Int64(i + 100), vector: vector) }
        index.remove(105)
        index.watermark = .init(lastInsert: 1599, lastDelete: 7)
        let folder = FileManager.default.temporaryDirectory.appending(path: "hnsw-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "1.hnsw")
        try index.write(to: file)
        let loaded = try HNSWIndex.read(from: file)
        #expect(loaded.count == index.count)
        #expect(loaded.watermark == index.watermark)
        for query in data.prefix(30) {
            #expect(loaded.search(query, k: 5, allow: nil) == index.search(query, k: 5, allow: nil))
        }
        let bytes = try Data(contentsOf: file)
        try bytes.prefix(bytes.count / 2).write(to: file)
        #expect(throws: HearthError.self) { try HNSWIndex.read(from: file) }
    }

    @Test("small sets are searched exactly; wrong lengths are refused")
    func exactAndErrors() throws {
        let data = Self.vectors(200)
        let index = HNSWIndex(dimensions: 32)
        let exact = ExactVectorIndex(dimensions: 32)
        for (i, vector) in data.enumerated() {
            try index.insert(Int64(i), vector: vector)
            try exact.insert(Int64(i), vector: vector)
        }
        for query in data.prefix(10) {
            #expect(index.search(query, k: 7, allow: nil).map(\.id) == exact.search(query, k: 7, allow: nil).map(\.id))
        }
        #expect(throws: HearthError.self) { try index.insert(1, vector: [1, 2, 3]) }
        #expect(throws: HearthError.self) { try index.insert(1, vector: [Float](repeating: .nan, count: 32)) }
    }
}
