import Foundation
import HearthCore

extension OpenAI {
    /// A cursor page (`files.list`, `vector_stores.list`, `vector_stores.files.list`).
    public struct Page<Item: Codable & Sendable>: Codable, Sendable {
        public var object = "list"
        public var data: [Item]
        public var firstID: String?
        public var lastID: String?
        public var hasMore: Bool

        /// The page after `after` (an item id), of at most `limit` items.
        public init(_ all: [Item], id: (Item) -> String, after: String?, limit: Int?) {
            var items = all[...]
            if let after, let index = all.firstIndex(where: { id($0) == after }) { items = all[(index + 1)...] }
            let size = max(1, min(limit ?? 100, 10_000))
            data = Array(items.prefix(size))
            hasMore = items.count > size
            firstID = data.first.map(id)
            lastID = data.last.map(id)
        }

        enum CodingKeys: String, CodingKey { case object, data, firstID = "first_id", lastID = "last_id", hasMore = "has_more" }
    }

    /// `FileObject`.
    public struct File: Codable, Sendable {
        public var id: String
        public var object = "file"
        public var bytes: Int64
        public var createdAt: Int
        public var filename: String
        public var purpose: String
        public var status = "processed"

        public init(_ file: StoredFile) {
            id = file.id
            bytes = file.bytes
            createdAt = Int(file.createdAt.timeIntervalSince1970)
            filename = file.filename
            purpose = file.purpose
        }

        enum CodingKeys: String, CodingKey { case id, object, bytes, filename, purpose, status, createdAt = "created_at" }
    }

    /// `{id, object, deleted}` for files, vector stores and vector-store files.
    public struct Deleted: Codable, Sendable {
        public var id: String
        public var object: String
        public var deleted: Bool

        public init(id: String, object: String, deleted: Bool) {
            self.id = id
            self.object = object
            self.deleted = deleted
        }
    }

    public struct FileCounts: Codable, Sendable {
        public var inProgress = 0
        public var completed = 0
        public var failed = 0
        public var cancelled = 0
        public var total = 0

        public init(_ attachments: [FileAttachment]) {
            for attachment in attachments {
                switch attachment.status {
                case .inProgress: inProgress += 1
                case .completed: completed += 1
                case .failed: failed += 1
                case .cancelled: cancelled += 1
                }
            }
            total = attachments.count
        }

        enum CodingKeys: String, CodingKey {
            case completed, failed, cancelled, total, inProgress = "in_progress"
        }
    }

    /// `VectorStore`: a collection.
    public struct VectorStore: Codable, Sendable {
        public var id: String
        public var object = "vector_store"
        public var createdAt: Int
        public var name: String
        public var usageBytes: Int64
        public var fileCounts: FileCounts
        public var status: String
        public var lastActiveAt: Int
        public var metadata: [String: String] = [:]

        public init(_ collection: KnowledgeCollection, attachments: [FileAttachment]) {
            id = collection.name
            createdAt = Int(collection.createdAt.timeIntervalSince1970)
            name = collection.label ?? collection.name
            usageBytes = collection.bytes
            fileCounts = FileCounts(attachments)
            status = fileCounts.inProgress > 0 ? "in_progress" : "completed"
            lastActiveAt = createdAt
        }

        enum CodingKeys: String, CodingKey {
            case id, object, name, status, metadata
            case createdAt = "created_at", usageBytes = "usage_bytes", fileCounts = "file_counts", lastActiveAt = "last_active_at"
        }
    }

    /// `POST /v1/vector_stores` and `POST /v1/vector_stores/{id}`.
    public struct VectorStoreRequest: Codable, Sendable {
        public var name: String?
        public var fileIDs: [String]?
        enum CodingKeys: String, CodingKey { case name, fileIDs = "file_ids" }
    }

    /// `VectorStoreFile`: an uploaded file added to a collection.
    public struct VectorStoreFile: Codable, Sendable {
        public var id: String
        public var object = "vector_store.file"
        public var createdAt: Int
        public var vectorStoreID: String
        public var status: String
        public var usageBytes: Int64
        public var lastError: LastError?
        public var attributes: [String: String]
        public var chunkingStrategy = ChunkingStrategy()

        public struct LastError: Codable, Sendable {
            public var code: String
            public var message: String
        }

        /// Hearth chunks by structure; reported as OpenAI's "other".
        public struct ChunkingStrategy: Codable, Sendable {
            public var type = "other"
        }

        public init(_ attachment: FileAttachment) {
            id = attachment.fileID
            createdAt = Int(attachment.createdAt.timeIntervalSince1970)
            vectorStoreID = attachment.collection
            status = attachment.status.rawValue
            usageBytes = attachment.bytes
            lastError = attachment.error.map { LastError(code: "invalid_file", message: $0) }
            attributes = attachment.attributes
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(object, forKey: .object)
            try container.encode(createdAt, forKey: .createdAt)
            try container.encode(vectorStoreID, forKey: .vectorStoreID)
            try container.encode(status, forKey: .status)
            try container.encode(usageBytes, forKey: .usageBytes)
            try container.encode(lastError, forKey: .lastError)
            try container.encode(attributes, forKey: .attributes)
            try container.encode(chunkingStrategy, forKey: .chunkingStrategy)
        }

        enum CodingKeys: String, CodingKey {
            case id, object, status, attributes
            case createdAt = "created_at", vectorStoreID = "vector_store_id", usageBytes = "usage_bytes", lastError = "last_error"
            case chunkingStrategy = "chunking_strategy"
        }
    }

    /// `POST /v1/vector_stores/{id}/files`.
    public struct VectorStoreFileRequest: Codable, Sendable {
        public var fileID: String
        public var attributes: [String: JSONValue]?
        enum CodingKeys: String, CodingKey { case fileID = "file_id", attributes }

        /// Attribute values as text (numbers and booleans as they print).
        public var textAttributes: [String: String] { (attributes ?? [:]).mapValues(\.text) }
    }

    /// `POST /v1/vector_stores/{id}/file_batches`.
    public struct FileBatchRequest: Codable, Sendable {
        public var fileIDs: [String]?
        public var files: [VectorStoreFileRequest]?
        public var attributes: [String: JSONValue]?
        enum CodingKeys: String, CodingKey { case fileIDs = "file_ids", files, attributes }

        /// Every file named, with its attributes as text: the batch's, overridden by the file's own.
        public var members: [(fileID: String, attributes: [String: String])] {
            let shared = (attributes ?? [:]).mapValues(\.text)
            return (fileIDs ?? []).map { ($0, shared) } + (files ?? []).map { ($0.fileID, shared.merging($0.textAttributes) { $1 }) }
        }
    }

    /// `VectorStoreFileBatch`.
    public struct FileBatch: Codable, Sendable {
        public var id: String
        public var object = "vector_store.file_batch"
        public var createdAt: Int
        public var vectorStoreID: String
        public var status: String
        public var fileCounts: FileCounts

        public init(id: String, vectorStoreID: String, createdAt: Int, attachments: [FileAttachment]) {
            self.id = id
            self.vectorStoreID = vectorStoreID
            self.createdAt = createdAt
            fileCounts = FileCounts(attachments)
            status =
                if fileCounts.inProgress > 0 {
                    "in_progress"
                } else if fileCounts.cancelled > 0 {
                    "cancelled"
                } else {
                    fileCounts.failed > 0 && fileCounts.completed == 0 ? "failed" : "completed"
                }
        }

        enum CodingKeys: String, CodingKey {
            case id, object, status
            case createdAt = "created_at", vectorStoreID = "vector_store_id", fileCounts = "file_counts"
        }
    }

    /// `POST /v1/vector_stores/{id}/search`.
    public struct VectorStoreSearchRequest: Codable, Sendable {
        public var query: OneOrMany<String>
        public var maxNumResults: Int?
        public var filters: Filter?
        public var rewriteQuery: Bool?
        public var rankingOptions: RankingOptions?

        public struct RankingOptions: Codable, Sendable {
            public var ranker: String?
            public var scoreThreshold: Double?
            enum CodingKeys: String, CodingKey { case ranker, scoreThreshold = "score_threshold" }
        }

        /// A comparison (`eq`, …) or a compound (`and`, `or`) filter on file attributes.
        public struct Filter: Codable, Sendable {
            public var type: String
            public var key: String?
            public var value: JSONValue?
            public var filters: [Filter]?

            /// The attribute equalities this filter requires.
            /// - Throws: `HearthError.invalidRequest` for filters other than `eq` and `and`.
            public func equalities() throws -> [String: String] {
                switch type {
                case "eq":
                    guard let key, let value else {
                        throw HearthError.invalidRequest("an 'eq' filter needs 'key' and 'value'", field: "filters")
                    }
                    return [key: value.text]
                case "and":
                    return try (filters ?? []).reduce(into: [:]) { result, filter in result.merge(try filter.equalities()) { $1 } }
                default:
                    throw HearthError.invalidRequest("only 'eq' filters and 'and' of them are supported, got '\(type)'", field: "filters")
                }
            }
        }

        enum CodingKeys: String, CodingKey {
            case query, filters
            case maxNumResults = "max_num_results", rewriteQuery = "rewrite_query", rankingOptions = "ranking_options"
        }
    }

    /// The answer to a vector-store search.
    public struct VectorStoreSearchPage: Codable, Sendable {
        public var object = "vector_store.search_results.page"
        public var searchQuery: [String]
        public var data: [Result]
        public var hasMore = false

        public struct Result: Codable, Sendable {
            public var fileID: String
            public var filename: String
            public var score: Double
            public var attributes: [String: String]
            public var content: [Content]

            public struct Content: Codable, Sendable {
                public var type = "text"
                public var text: String
            }

            enum CodingKeys: String, CodingKey { case fileID = "file_id", filename, score, attributes, content }
        }

        public init(query: [String], hits: [SearchHit]) {
            searchQuery = query
            data = hits.map { hit in
                Result(
                    fileID: hit.fileID ?? hit.path, filename: hit.path.split(separator: "/").last.map(String.init) ?? hit.path,
                    score: KnowledgeWire.rounded(hit.similarity ?? hit.score), attributes: hit.metadata,
                    content: [Result.Content(text: hit.text)])
            }
        }

        enum CodingKeys: String, CodingKey { case object, data, searchQuery = "search_query", hasMore = "has_more" }
    }
}
