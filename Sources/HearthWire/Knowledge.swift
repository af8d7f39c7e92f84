import Foundation
import HearthCore

/// Hearth's knowledge-base API: `/hearth/collections`, `/hearth/search`, `/hearth/ask`.
public enum KnowledgeWire {
    /// A score as the wire carries it: four decimals.
    static func rounded(_ score: Double) -> Double {
        (score * 10_000).rounded() / 10_000
    }

    /// A collection with its counts.
    public struct Collection: Codable, Sendable {
        public var name: String
        public var label: String?
        public var embeddingModel: String
        public var dimensions: Int
        public var documents: Int
        public var chunks: Int
        public var bytes: Int64
        public var createdAt: Int

        public init(_ collection: KnowledgeCollection) {
            name = collection.name
            label = collection.label
            embeddingModel = collection.embeddingModel
            dimensions = collection.dimensions
            documents = collection.documents
            chunks = collection.chunks
            bytes = collection.bytes
            createdAt = Int(collection.createdAt.timeIntervalSince1970)
        }

        enum CodingKeys: String, CodingKey {
            case name, label, dimensions, documents, chunks, bytes
            case embeddingModel = "embedding_model", createdAt = "created_at"
        }
    }

    public struct CollectionList: Codable, Sendable {
        public var collections: [Collection]
        public init(_ collections: [KnowledgeCollection]) { self.collections = collections.map(Collection.init) }
    }

    /// `GET /hearth/collections/{name}`: the collection and its documents.
    public struct CollectionDetail: Codable, Sendable {
        public var collection: Collection
        public var documents: [Document]

        public struct Document: Codable, Sendable {
            public var path: String
            public var chunks: Int
            public var bytes: Int64
            public var version: Int
            public var contentHash: String
            public var updatedAt: Int
            public var metadata: [String: String]

            enum CodingKeys: String, CodingKey {
                case path, chunks, bytes, version, metadata
                case contentHash = "content_hash", updatedAt = "updated_at"
            }
        }

        public init(_ collection: KnowledgeCollection, documents: [StoredDocument]) {
            self.collection = Collection(collection)
            self.documents = documents.map {
                Document(
                    path: $0.path, chunks: $0.chunks, bytes: $0.bytes, version: $0.version, contentHash: $0.contentHash,
                    updatedAt: Int($0.updatedAt.timeIntervalSince1970), metadata: $0.metadata)
            }
        }
    }

    /// `POST /hearth/collections`.
    public struct CreateCollection: Codable, Sendable {
        public var name: String
        public var embeddingModel: String?
        enum CodingKeys: String, CodingKey { case name, embeddingModel = "embedding_model" }
    }

    public struct Deleted: Codable, Sendable {
        public var name: String
        public var deleted: Bool
        public init(name: String, deleted: Bool) {
            self.name = name
            self.deleted = deleted
        }
    }

    /// Narrows a search.
    public struct Filter: Codable, Sendable {
        public var pathPrefix: String?
        public var metadata: [String: String]?
        enum CodingKeys: String, CodingKey { case pathPrefix = "path_prefix", metadata }
    }

    /// `POST /hearth/search`.
    public struct SearchRequest: Codable, Sendable {
        public var query: String
        public var collection: String?
        public var collections: [String]?
        public var k: Int?
        public var filter: Filter?
        public var mmr: Bool?

        /// The native query.
        /// - Throws: `HearthError.invalidRequest` naming the field at fault.
        public func native() throws -> RetrievalQuery {
            let names = (collections ?? []) + (collection.map { [$0] } ?? [])
            guard !names.isEmpty else { throw HearthError.invalidRequest("'collection' is required", field: "collection") }
            return RetrievalQuery(
                text: query, collections: names, k: k ?? 5,
                filter: SearchFilter(pathPrefix: filter?.pathPrefix, metadata: filter?.metadata ?? [:]), mmr: mmr ?? false)
        }
    }

    /// One hit: where it comes from, how it scored, its text.
    public struct Hit: Codable, Sendable {
        public var rank: Int
        public var score: Double
        public var similarity: Double?
        public var keywordRank: Int?
        public var collection: String
        public var path: String
        public var heading: String
        public var location: Location
        public var text: String
        public var chunkID: Int64
        public var metadata: [String: String]

        public struct Location: Codable, Sendable {
            public var lines: [Int]?
            public var pages: [Int]?
            public var summary: String
        }

        /// The hits numbered from 1, in order.
        public static func ranked(_ hits: [SearchHit]) -> [Hit] {
            hits.enumerated().map { Hit(rank: $0 + 1, $1) }
        }

        public init(rank: Int, _ hit: SearchHit) {
            self.rank = rank
            score = KnowledgeWire.rounded(hit.score)
            similarity = hit.similarity.map(KnowledgeWire.rounded)
            keywordRank = hit.keywordRank
            collection = hit.collection
            path = hit.path
            heading = hit.heading
            let location = hit.location
            self.location = Location(
                lines: location.lineStart.map { [$0, location.lineEnd ?? $0] },
                pages: location.pageStart.map { [$0, location.pageEnd ?? $0] },
                summary: location.summary)
            text = hit.text
            chunkID = hit.chunkID
            metadata = hit.metadata
        }

        enum CodingKeys: String, CodingKey {
            case rank, score, similarity, collection, path, heading, location, text, metadata
            case keywordRank = "keyword_rank", chunkID = "chunk_id"
        }
    }

    public struct SearchResponse: Codable, Sendable {
        public var query: String
        public var hits: [Hit]
        public init(query: String, hits: [SearchHit]) {
            self.query = query
            self.hits = Hit.ranked(hits)
        }
    }

    /// `POST /hearth/ask`.
    public struct AskRequest: Codable, Sendable {
        public var question: String?
        public var query: String?
        public var collection: String?
        public var collections: [String]?
        public var k: Int?
        public var model: String?
        public var stream: Bool?
        public var temperature: Double?
        public var maxTokens: Int?
        public var filter: Filter?

        enum CodingKeys: String, CodingKey {
            case question, query, collection, collections, k, model, stream, temperature, filter
            case maxTokens = "max_tokens"
        }

        public func native() throws -> RetrievalQuery {
            guard let text = question ?? query else { throw HearthError.invalidRequest("'question' is required", field: "question") }
            return try SearchRequest(query: text, collection: collection, collections: collections, k: k, filter: filter, mmr: nil).native()
        }
    }

    /// `POST /hearth/ask` without streaming.
    public struct AskResponse: Codable, Sendable {
        public var model: String
        public var answer: String
        public var sources: [Hit]
        public var usage: OpenAI.Usage
        public var finishReason: String

        public init(model: String, answer: String, sources: [SearchHit], usage: Usage, finishReason: FinishReason) {
            self.model = model
            self.answer = answer
            self.sources = Hit.ranked(sources)
            self.usage = OpenAI.Usage(usage)
            self.finishReason = finishReason.rawValue
        }

        enum CodingKeys: String, CodingKey { case model, answer, sources, usage, finishReason = "finish_reason" }
    }

    /// One event of a streamed `/hearth/ask`: first the sources, then text deltas, then the end.
    public struct AskEvent: Codable, Sendable {
        public var sources: [Hit]?
        public var delta: String?
        public var finishReason: String?
        public var usage: OpenAI.Usage?

        public init(sources: [Hit]? = nil, delta: String? = nil, finishReason: String? = nil, usage: OpenAI.Usage? = nil) {
            self.sources = sources
            self.delta = delta
            self.finishReason = finishReason
            self.usage = usage
        }

        enum CodingKeys: String, CodingKey { case sources, delta, usage, finishReason = "finish_reason" }
    }
}
