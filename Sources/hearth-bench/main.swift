import Foundation
import HearthCore
import HearthSQLite

// The Swift side of `make bench-knowledge` (bench/knowledge.py drives it and runs the
// peers): prints one JSON object per measurement on standard output.
//
//   hearth-bench vectors --base F --queries F --truth F --dim D [--k 10] [--m 16]
//                        [--ef-construction 200] [--ef 16,32,64,128]
// Files are raw little-endian float32 (base, queries) and int32 (truth: k ids per query).

let arguments = Array(CommandLine.arguments.dropFirst())

func option(_ name: String, default value: String? = nil) -> String {
    if let at = arguments.firstIndex(of: "--\(name)"), at + 1 < arguments.count { return arguments[at + 1] }
    guard let value else {
        FileHandle.standardError.write(Data("hearth-bench: missing --\(name)\n".utf8))
        exit(2)
    }
    return value
}

func readArray<T>(_ path: String, as: T.Type) -> [T] {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("hearth-bench: cannot read \(path)\n".utf8))
        exit(1)
    }
    return data.withUnsafeBytes { Array($0.bindMemory(to: T.self)) }
}

func emit(_ object: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

switch arguments.first {
case "vectors":
    let dim = Int(option("dim"))!
    let k = Int(option("k", default: "10"))!
    let base = readArray(option("base"), as: Float.self)
    let queries = readArray(option("queries"), as: Float.self)
    let truth = readArray(option("truth"), as: Int32.self)
    let count = base.count / dim
    let queryCount = queries.count / dim
    let parameters = HNSWIndex.Parameters(
        m: Int(option("m", default: "16"))!, efConstruction: Int(option("ef-construction", default: "200"))!, exactBelow: 0)
    let index = HNSWIndex(dimensions: dim, parameters: parameters)
    let build = try seconds {
        for i in 0..<count { try index.insert(Int64(i), vector: Array(base[(i * dim)..<((i + 1) * dim)])) }
    }
    emit(["kind": "build", "seconds": build, "vectors": count])
    let queryVectors = (0..<queryCount).map { Array(queries[($0 * dim)..<(($0 + 1) * dim)]) }
    for ef in option("ef", default: "16,32,64,128").split(separator: ",").compactMap({ Int($0) }) {
        var found = 0
        var results: [[RankedChunk]] = []
        results.reserveCapacity(queryCount)
        let elapsed = seconds {
            for query in queryVectors { results.append(index.search(query, k: k, ef: ef, allow: nil)) }
        }
        for (q, hits) in results.enumerated() {
            let expected = Set(truth[(q * k)..<((q + 1) * k)].map(Int64.init))
            found += hits.filter { expected.contains($0.id) }.count
        }
        emit(["kind": "search", "ef": ef, "recall": Double(found) / Double(queryCount * k), "qps": Double(queryCount) / elapsed])
    }
default:
    FileHandle.standardError.write(Data("usage: hearth-bench vectors --base F --queries F --truth F --dim D …\n".utf8))
    exit(2)
}
