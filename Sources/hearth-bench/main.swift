import Foundation
import HearthCore
import HearthPostgres
import HearthSQLite
import HearthVectors

// The Swift side of `make bench-knowledge` (bench/knowledge.py drives it and runs the
// peers): prints one JSON object per measurement on standard output.
//
//   hearth-bench vectors --base F --queries F --truth F --dim D [--k 10] [--m 16]
//                        [--ef-construction 200] [--ef 16,32,64,128]
//   hearth-bench fill --home DIR --texts F --vectors F --dim D [--chunks N] [--database-url URL]
//                        a knowledge base of N chunks (collection "bench") in DIR, or in
//                        the PostgreSQL database at URL: texts NUL-separated, reused in turn;
//                        vectors as for `vectors`.
//   hearth-bench stages --home DIR [--database-url URL]
//                        the time of each stage of a hybrid query (keywords, vectors,
//                        fetching hits) on a store `fill` made, without the embedding model.
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

/// The store `fill` and `stages` work on: SQLite in `--home`, or PostgreSQL at `--database-url`.
func store() async throws -> any KnowledgeStore {
    let url = option("database-url", default: "")
    guard url.isEmpty else { return PostgresKnowledgeStore(try await PostgresDatabase.connect(to: url)) }
    let home = URL(filePath: option("home"))
    return try SQLiteKnowledgeStore(paths: Paths(config: home, data: home, cache: home))
}

func emit(_ object: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try await body()
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
    let build = try await seconds {
        for i in 0..<count { try index.insert(Int64(i), vector: Array(base[(i * dim)..<((i + 1) * dim)])) }
    }
    emit(["kind": "build", "seconds": build, "vectors": count])
    let queryVectors = (0..<queryCount).map { Array(queries[($0 * dim)..<(($0 + 1) * dim)]) }
    for ef in option("ef", default: "16,32,64,128").split(separator: ",").compactMap({ Int($0) }) {
        var found = 0
        var results: [[RankedChunk]] = []
        results.reserveCapacity(queryCount)
        let elapsed = await seconds {
            for query in queryVectors { results.append(index.search(query, k: k, ef: ef, allow: nil)) }
        }
        for (q, hits) in results.enumerated() {
            let expected = Set(truth[(q * k)..<((q + 1) * k)].map(Int64.init))
            found += hits.filter { expected.contains($0.id) }.count
        }
        emit(["kind": "search", "ef": ef, "recall": Double(found) / Double(queryCount * k), "qps": Double(queryCount) / elapsed])
    }
case "stages":
    // Times each stage of a hybrid query on a store `fill` made (no embedding model).
    let store = try await store()
    let queries = [
        "how do I copy files recursively", "show hidden files in a directory", "kill a process by its id", "find files larger than a size",
    ]
    guard let bench = try await store.collection("bench", counted: false) else { fatalError("no 'bench' collection: run `fill` first") }
    let probe = VectorMath.normalized((0..<bench.dimensions).map { Float(sin(Double($0))) })
    _ = try await store.vectorSearch(probe, in: "bench", k: 40, filter: SearchFilter())
    var keyword = 0.0, vector = 0.0, fetch = 0.0
    for _ in 0..<20 {
        for query in queries {
            var ids: [Int64] = []
            keyword += try await seconds {
                ids = try await store.keywordSearch(query, in: "bench", k: 40, filter: SearchFilter()).map(\.id)
            }
            vector += try await seconds { ids += try await store.vectorSearch(probe, in: "bench", k: 40, filter: SearchFilter()).map(\.id) }
            fetch += try await seconds { _ = try await store.hits(Array(ids.prefix(5))) }
        }
    }
    let n = 20.0 * Double(queries.count) / 1000
    emit(["kind": "stages", "keyword_ms": keyword / n, "vector_ms": vector / n, "hits_ms": fetch / n])
case "fill":
    let dim = Int(option("dim"))!
    let vectors = readArray(option("vectors"), as: Float.self)
    let chunks = Int(option("chunks", default: "\(vectors.count / dim)"))!
    guard let textData = FileManager.default.contents(atPath: option("texts")) else { exit(1) }
    let texts = textData.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    let store = try await store()
    _ = try await store.createCollection(KnowledgeCollection(name: "bench", embeddingModel: "all-minilm:l6-v2", dimensions: dim))
    let perDocument = 100
    let elapsed = try await seconds {
        for start in stride(from: 0, to: chunks, by: perDocument) {
            let range = start..<min(start + perDocument, chunks)
            let drafts = range.map { i in
                ChunkDraft(
                    text: texts[i % texts.count], headings: ["Part \(i % 17)"],
                    location: SourceLocation(lines: (i % 500 + 1)...(i % 500 + 8)))
            }
            let vectorRows = range.map { i in Array(vectors[((i % (vectors.count / dim)) * dim)..<((i % (vectors.count / dim) + 1) * dim)])
            }
            _ = try await store.putDocument(
                DocumentDraft(
                    path: "/bench/doc-\(start / perDocument).txt", contentHash: "\(start)", bytes: 1000, chunks: drafts, vectors: vectorRows
                ),
                in: "bench")
        }
        try await store.flush()
    }
    emit(["kind": "fill", "chunks": chunks, "seconds": elapsed])
default:
    FileHandle.standardError.write(Data("usage: hearth-bench vectors --base F --queries F --truth F --dim D …\n".utf8))
    exit(2)
}
