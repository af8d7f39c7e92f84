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

    /// `GET /hearth/collections/{name}`: the collection, its documents and its last ingestion.
    public struct CollectionDetail: Codable, Sendable {
        public var collection: Collection
        public var documents: [Document]
        public var lastJob: Job?
        /// Users it is shared with to read (`*`: everyone); shown to its owner and administrators.
        public var sharedWith: [String]?

        enum CodingKeys: String, CodingKey { case collection, documents, lastJob = "last_job", sharedWith = "shared_with" }

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

        public init(_ collection: KnowledgeCollection, documents: [StoredDocument], lastJob: IngestionJob? = nil, sharedWith: [String] = [])
        {
            self.collection = Collection(collection)
            self.sharedWith = sharedWith.isEmpty ? nil : sharedWith
            self.lastJob = lastJob.map(Job.init)
            self.documents = documents.map {
                Document(
                    path: $0.path, chunks: $0.chunks, bytes: $0.bytes, version: $0.version, contentHash: $0.contentHash,
                    updatedAt: Int($0.updatedAt.timeIntervalSince1970), metadata: $0.metadata)
            }
        }
    }

    /// `PUT /hearth/collections/{name}/shares`: who besides its owner may read it (user
    /// names, `*` for everyone; empty: nobody).
    public struct Shares: Codable, Sendable {
        public var users: [String]
        public init(users: [String]) { self.users = users }
    }

    /// `POST /hearth/collections`.
    public struct CreateCollection: Codable, Sendable {
        public var name: String
        public var embeddingModel: String?
        enum CodingKeys: String, CodingKey { case name, embeddingModel = "embedding_model" }
    }

    /// `POST /hearth/ingest`: files and folders (absolute paths on the server's machine)
    /// into a collection, or `resume` to finish interrupted jobs. Answers NDJSON `IngestEvent`s.
    public struct IngestRequest: Codable, Sendable {
        public var collection: String?
        public var paths: [String]?
        public var sync: Bool?
        public var maxFileBytes: Int64?
        public var embeddingModel: String?
        public var resume: Bool?

        public init(
            collection: String?, paths: [String], sync: Bool = false, maxFileBytes: Int64? = nil, embeddingModel: String? = nil,
            resume: Bool = false
        ) {
            self.collection = collection
            self.paths = paths
            self.sync = sync
            self.maxFileBytes = maxFileBytes
            self.embeddingModel = embeddingModel
            self.resume = resume
        }

        enum CodingKeys: String, CodingKey {
            case collection, paths, sync, resume
            case maxFileBytes = "max_file_bytes", embeddingModel = "embedding_model"
        }

        /// The job to run (when not resuming).
        /// - Throws: `HearthError.invalidRequest` naming the missing field.
        public func native() throws -> IngestionJob {
            guard let collection else { throw HearthError.invalidRequest("'collection' is required", field: "collection") }
            var job = IngestionJob(collection: collection, paths: paths ?? [], sync: sync ?? false)
            if let maxFileBytes { job.maxFileBytes = maxFileBytes }
            return job
        }
    }

    /// One line of an ingestion's progress: `event` is `interrupted` (an earlier job left
    /// unfinished), `started`, `progress`, `finished` or `error`.
    public struct IngestEvent: Codable, Sendable {
        public var event: String
        public var job: Job?
        public var error: OpenAI.ErrorBody.Detail?

        public init(event: String, job: Job? = nil, error: OpenAI.ErrorBody.Detail? = nil) {
            self.event = event
            self.job = job
            self.error = error
        }
    }

    /// An ingestion job and how far it got.
    public struct Job: Codable, Sendable {
        public var id: Int64
        public var collection: String
        public var paths: [String]
        public var status: IngestionJob.Status
        public var filesTotal: Int
        public var filesDone: Int
        public var filesIngested: Int
        public var filesUnchanged: Int
        /// Files of kinds no loader reads, left out.
        public var unsupported: Int
        public var chunks: Int
        public var removed: Int
        public var problems: [IngestionJob.Problem]

        public init(_ job: IngestionJob) {
            id = job.id
            collection = job.collection
            paths = job.paths
            status = job.status
            filesTotal = job.filesTotal
            filesDone = job.filesDone
            filesIngested = job.filesIngested
            filesUnchanged = job.filesUnchanged
            unsupported = job.unsupported
            chunks = job.chunks
            removed = job.removed
            problems = job.problems
        }

        enum CodingKeys: String, CodingKey {
            case id, collection, paths, status, unsupported, chunks, removed, problems
            case filesTotal = "files_total", filesDone = "files_done", filesIngested = "files_ingested"
            case filesUnchanged = "files_unchanged"
        }
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

        public init(pathPrefix: String? = nil, metadata: [String: String]? = nil) {
            self.pathPrefix = pathPrefix
            self.metadata = metadata
        }
    }

    /// `POST /hearth/search`.
    public struct SearchRequest: Codable, Sendable {
        public var query: String
        public var collection: String?
        public var collections: [String]?
        public var k: Int?
        public var filter: Filter?
        public var mmr: Bool?

        public init(
            query: String, collection: String? = nil, collections: [String]? = nil, k: Int? = nil, filter: Filter? = nil,
            mmr: Bool? = nil
        ) {
            self.query = query
            self.collection = collection
            self.collections = collections
            self.k = k
            self.filter = filter
            self.mmr = mmr
        }

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

    /// `GET /hearth/collections/{name}/chunks?path=…`: a document's chunks in order.
    public struct DocumentChunks: Codable, Sendable {
        public var path: String
        public var chunks: [String]

        public init(path: String, chunks: [String]) {
            self.path = path
            self.chunks = chunks
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
        public var seed: UInt32?
        public var filter: Filter?
        public var mmr: Bool?
        /// A system prompt that goes along with the sources.
        public var system: String?

        public init(
            question: String, collections: [String], k: Int? = nil, model: String? = nil, stream: Bool? = nil,
            temperature: Double? = nil, maxTokens: Int? = nil, seed: UInt32? = nil, filter: Filter? = nil, mmr: Bool? = nil,
            system: String? = nil
        ) {
            self.question = question
            self.collections = collections
            self.k = k
            self.model = model
            self.stream = stream
            self.temperature = temperature
            self.maxTokens = maxTokens
            self.seed = seed
            self.filter = filter
            self.mmr = mmr
            self.system = system
        }

        enum CodingKeys: String, CodingKey {
            case question, query, collection, collections, k, model, stream, temperature, filter, seed, mmr, system
            case maxTokens = "max_tokens"
        }

        public func native() throws -> RetrievalQuery {
            guard let text = question ?? query else { throw HearthError.invalidRequest("'question' is required", field: "question") }
            return try SearchRequest(query: text, collection: collection, collections: collections, k: k, filter: filter, mmr: mmr).native()
        }

        /// The generation's parameters.
        public var params: GenerationParams {
            GenerationParams(maxTokens: maxTokens, temperature: temperature, seed: seed)
        }

        /// The system prompt as the conversation that goes before the question.
        public var history: [ChatMessage] {
            system.map { [ChatMessage(role: .system, content: $0)] } ?? []
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
