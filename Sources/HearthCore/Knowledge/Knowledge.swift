import Foundation

/// A named set of documents searched together (an OpenAI "vector store").
public struct KnowledgeCollection: Sendable, Equatable, Codable {
    /// Unique name, used on the command line and in URLs (`docs`, `vs_3f2a…`).
    public var name: String
    /// A display name, when it differs from `name` (OpenAI vector stores have one).
    public var label: String?
    /// The model that embedded its chunks; queries must use the same one.
    public var embeddingModel: String
    public var dimensions: Int
    public var createdAt: Date
    public var documents: Int
    public var chunks: Int
    /// Bytes of the source files.
    public var bytes: Int64
    /// The user it belongs to; nil: the administrators' (made by an operator key or an open server).
    public var ownerID: Int64?
    /// Users who may read and search it besides its owner (an administrator shares it);
    /// `KnowledgeCollection.everyone` for all users.
    public var sharedWith: [Int64]

    /// In `sharedWith`: every user.
    public static let everyone: Int64 = 0

    public init(
        name: String, label: String? = nil, embeddingModel: String, dimensions: Int, createdAt: Date = Date(),
        documents: Int = 0, chunks: Int = 0, bytes: Int64 = 0, ownerID: Int64? = nil, sharedWith: [Int64] = []
    ) {
        self.ownerID = ownerID
        self.sharedWith = sharedWith
        self.name = name
        self.label = label
        self.embeddingModel = embeddingModel
        self.dimensions = dimensions
        self.createdAt = createdAt
        self.documents = documents
        self.chunks = chunks
        self.bytes = bytes
    }

    /// Checks a collection name: letters, digits, `-`, `_`, `.`, 1–64 characters.
    /// - Throws: `HearthError.invalidRequest` naming the field.
    public static func validate(name: String) throws {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        guard !name.isEmpty, name.count <= 64, name.unicodeScalars.allSatisfy(allowed.contains), name.first != "." else {
            throw HearthError.invalidRequest(
                "collection names are 1–64 letters, digits, '-', '_' or '.', got '\(name.prefix(80))'", field: "collection")
        }
    }

    public static func notFound(_ name: String) -> HearthError {
        HearthError(.notFound, "collection '\(name.prefix(80))' not found; `hearth collections list` shows them", field: "collection")
    }
}

/// Where a chunk sits in its source: lines for text, pages for PDF.
public struct SourceLocation: Sendable, Equatable, Hashable, Codable {
    public var lineStart: Int?
    public var lineEnd: Int?
    public var pageStart: Int?
    public var pageEnd: Int?

    public init(lines: ClosedRange<Int>? = nil, pages: ClosedRange<Int>? = nil) {
        lineStart = lines?.lowerBound
        lineEnd = lines?.upperBound
        pageStart = pages?.lowerBound
        pageEnd = pages?.upperBound
    }

    /// "lines 3–10", "page 4", "pages 4–5", or "" when unknown.
    public var summary: String {
        if let pageStart, let pageEnd {
            return pageStart == pageEnd ? "page \(pageStart)" : "pages \(pageStart)–\(pageEnd)"
        }
        if let lineStart, let lineEnd {
            return lineStart == lineEnd ? "line \(lineStart)" : "lines \(lineStart)–\(lineEnd)"
        }
        return ""
    }
}

/// A piece of a document, as a chunker cuts it: the unit that is embedded and searched.
public struct ChunkDraft: Sendable, Equatable {
    public var text: String
    /// Headings above the chunk, outermost first.
    public var headings: [String]
    public var location: SourceLocation

    public init(text: String, headings: [String] = [], location: SourceLocation = SourceLocation()) {
        self.text = text
        self.headings = headings
        self.location = location
    }

    /// The heading path shown to people: "Install › From source".
    public var heading: String { headings.joined(separator: " › ") }
}

/// A document ready to store: its chunks and, in the same order, their vectors.
public struct DocumentDraft: Sendable {
    /// The source path (or an uploaded file's name).
    public var path: String
    /// sha256 of the source bytes, hex; unchanged files are skipped by it.
    public var contentHash: String
    public var bytes: Int64
    public var metadata: [String: String]
    /// The uploaded file this document came from (OpenAI Files API), if any.
    public var fileID: String?
    public var chunks: [ChunkDraft]
    public var vectors: [[Float]]

    public init(
        path: String, contentHash: String, bytes: Int64, metadata: [String: String] = [:], fileID: String? = nil,
        chunks: [ChunkDraft], vectors: [[Float]]
    ) {
        self.path = path
        self.contentHash = contentHash
        self.bytes = bytes
        self.metadata = metadata
        self.fileID = fileID
        self.chunks = chunks
        self.vectors = vectors
    }
}

/// A stored document, without its chunks.
public struct StoredDocument: Sendable, Equatable, Codable {
    public var id: Int64
    public var collection: String
    public var path: String
    public var contentHash: String
    public var bytes: Int64
    /// 1 for the first ingestion, +1 each time a changed file replaced it.
    public var version: Int
    public var chunks: Int
    public var metadata: [String: String]
    public var fileID: String?
    public var updatedAt: Date

    public init(
        id: Int64, collection: String, path: String, contentHash: String, bytes: Int64, version: Int, chunks: Int,
        metadata: [String: String], fileID: String?, updatedAt: Date
    ) {
        self.id = id
        self.collection = collection
        self.path = path
        self.contentHash = contentHash
        self.bytes = bytes
        self.version = version
        self.chunks = chunks
        self.metadata = metadata
        self.fileID = fileID
        self.updatedAt = updatedAt
    }
}

/// Narrows a search: to paths under a prefix, and to documents whose metadata has every
/// given key with the given value.
public struct SearchFilter: Sendable, Equatable {
    public var pathPrefix: String?
    public var metadata: [String: String]

    public init(pathPrefix: String? = nil, metadata: [String: String] = [:]) {
        self.pathPrefix = pathPrefix
        self.metadata = metadata
    }

    public var isEmpty: Bool { pathPrefix == nil && metadata.isEmpty }
}

/// A chunk as search returns it.
public struct SearchHit: Sendable, Equatable {
    public var chunkID: Int64
    public var collection: String
    public var documentID: Int64
    public var path: String
    public var fileID: String?
    public var heading: String
    public var location: SourceLocation
    public var text: String
    public var metadata: [String: String]
    /// The fused score, 0…1: 1 when a chunk ranks first in every list it was searched by.
    public var score: Double
    /// Cosine similarity to the query, when the chunk was found by vector or rescored.
    public var similarity: Double?
    /// Its rank in the keyword (BM25) list, 1-based, when it matched words of the query.
    public var keywordRank: Int?

    public init(
        chunkID: Int64, collection: String, documentID: Int64, path: String, fileID: String? = nil, heading: String,
        location: SourceLocation, text: String, metadata: [String: String] = [:], score: Double = 0,
        similarity: Double? = nil, keywordRank: Int? = nil
    ) {
        self.chunkID = chunkID
        self.collection = collection
        self.documentID = documentID
        self.path = path
        self.fileID = fileID
        self.heading = heading
        self.location = location
        self.text = text
        self.metadata = metadata
        self.score = score
        self.similarity = similarity
        self.keywordRank = keywordRank
    }
}

/// A chunk id with its score in one ranked list (BM25 or vector).
public struct RankedChunk: Sendable, Equatable {
    public var id: Int64
    /// Higher is better: cosine similarity for vectors, -bm25 for keywords.
    public var score: Double

    public init(id: Int64, score: Double) {
        self.id = id
        self.score = score
    }
}

/// What to search for.
public struct RetrievalQuery: Sendable {
    public var text: String
    public var collections: [String]
    /// Hits to return.
    public var k: Int
    public var filter: SearchFilter
    /// Diversify with maximal marginal relevance (fewer near-duplicate chunks).
    public var mmr: Bool
    /// MMR's balance: 1 is pure relevance, 0 pure diversity.
    public var mmrLambda: Double

    public init(
        text: String, collections: [String], k: Int = 5, filter: SearchFilter = SearchFilter(), mmr: Bool = false, mmrLambda: Double = 0.7
    ) {
        self.text = text
        self.collections = collections
        self.k = k
        self.filter = filter
        self.mmr = mmr
        self.mmrLambda = mmrLambda
    }
}
