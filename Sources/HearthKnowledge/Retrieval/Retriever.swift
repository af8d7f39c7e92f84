import Foundation
import HearthCore

/// Hybrid retrieval: BM25 keyword search and vector search per collection, fused by
/// reciprocal rank (k = 60), optionally diversified (MMR) and reranked by a reranking model.
public struct Retriever: Sendable {
    public var store: any KnowledgeStore
    public var embedder: any Embedder
    public var reranker: (any Reranker)?
    /// Candidates taken from each list before fusion.
    public var candidates: Int

    static let fusionK = 60.0

    public init(store: any KnowledgeStore, embedder: any Embedder, reranker: (any Reranker)? = nil, candidates: Int = 40) {
        self.store = store
        self.embedder = embedder
        self.reranker = reranker
        self.candidates = candidates
    }

    /// The best `query.k` chunks, best first, with fused score and cosine similarity.
    /// - Throws: `HearthError` (`.notFound` for an unknown collection, `.invalidRequest` for
    ///   an empty query or k out of range, the embedding model's errors).
    public func search(_ query: RetrievalQuery) async throws -> [SearchHit] {
        let text = query.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw HearthError.invalidRequest("the query is empty", field: "query") }
        guard (1...100).contains(query.k) else { throw HearthError.invalidRequest("k must be 1 to 100, got \(query.k)", field: "k") }
        guard !query.collections.isEmpty else { throw HearthError.invalidRequest("name at least one collection", field: "collection") }
        var fused: [Int64: Double] = [:]
        var similarity: [Int64: Double] = [:]
        var keywordRank: [Int64: Int] = [:]
        var queryVectors: [String: [Float]] = [:]
        var modelOf: [String: String] = [:]
        let width = max(candidates, query.k * 2)
        for name in query.collections {
            guard let collection = try await store.collection(name, counted: false) else { throw KnowledgeCollection.notFound(name) }
            modelOf[name] = collection.embeddingModel
            let vector: [Float]
            if let known = queryVectors[collection.embeddingModel] {
                vector = known
            } else {
                guard let embedded = try await embedder.embed([text], model: collection.embeddingModel).first else {
                    throw HearthError(.internalError, "the embedding model returned no vector")
                }
                vector = embedded
                queryVectors[collection.embeddingModel] = embedded
            }
            async let nearest = store.vectorSearch(vector, in: name, k: width, filter: query.filter)
            async let keywords = store.keywordSearch(text, in: name, k: width, filter: query.filter)
            for (rank, hit) in try await nearest.enumerated() {
                fused[hit.id, default: 0] += 1 / (Self.fusionK + Double(rank + 1))
                similarity[hit.id] = hit.score
            }
            for (rank, hit) in try await keywords.enumerated() {
                fused[hit.id, default: 0] += 1 / (Self.fusionK + Double(rank + 1))
                keywordRank[hit.id] = rank + 1
            }
        }
        let best = 2 / (Self.fusionK + 1)
        let pool = query.mmr || reranker != nil ? query.k * 3 : query.k
        let ranked = fused.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(pool).map(\.key)
        var hits = try await store.hits(ranked)
        // Cosine similarity for chunks only the keyword list found, so that every hit has one
        // (against the query as embedded by that chunk's collection's model).
        let missing = hits.filter { similarity[$0.chunkID] == nil }.map(\.chunkID)
        let stored = try await store.vectors(query.mmr ? hits.map(\.chunkID) : missing)
        for index in hits.indices {
            let id = hits[index].chunkID
            hits[index].score = min(1, fused[id, default: 0] / best)
            hits[index].keywordRank = keywordRank[id]
            if let value = similarity[id] {
                hits[index].similarity = value
            } else if let vector = stored[id], let model = modelOf[hits[index].collection], let queryVector = queryVectors[model],
                vector.count == queryVector.count
            {
                hits[index].similarity = Double(Self.dot(vector, queryVector))
            }
        }
        if query.mmr { hits = Self.diversify(hits, vectors: stored, k: query.k, lambda: query.mmrLambda) }
        if let reranker, !hits.isEmpty {
            let scores = try await reranker.scores(query: text, passages: hits.map(\.text))
            for index in hits.indices where index < scores.count { hits[index].score = scores[index] }
            hits.sort { $0.score > $1.score }
        }
        return Array(hits.prefix(query.k))
    }

    /// Maximal marginal relevance: each pick is the hit most similar to the query and least
    /// similar to the hits already picked. A hit's greatest similarity to the picked ones is
    /// kept up to date against each new pick, so a pick costs one pass over the rest.
    static func diversify(_ hits: [SearchHit], vectors: [Int64: [Float]], k: Int, lambda: Double) -> [SearchHit] {
        var remaining = hits
        var redundancy = [Double](repeating: -Double.infinity, count: hits.count)
        var picked: [SearchHit] = []
        while !remaining.isEmpty, picked.count < k {
            var bestIndex = 0
            var bestValue = -Double.infinity
            for (index, hit) in remaining.enumerated() {
                let value = lambda * (hit.similarity ?? 0) - (1 - lambda) * (redundancy[index] == -.infinity ? 0 : redundancy[index])
                if value > bestValue {
                    bestValue = value
                    bestIndex = index
                }
            }
            let pick = remaining.remove(at: bestIndex)
            redundancy.remove(at: bestIndex)
            picked.append(pick)
            guard let b = vectors[pick.chunkID] else { continue }
            for (index, hit) in remaining.enumerated() {
                if let a = vectors[hit.chunkID] { redundancy[index] = max(redundancy[index], Double(dot(a, b))) }
            }
        }
        return picked
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in VectorMath.dot(x.baseAddress!, y.baseAddress!, count: min(a.count, b.count)) }
        }
    }
}
