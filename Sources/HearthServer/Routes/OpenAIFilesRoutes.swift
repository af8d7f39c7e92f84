import Foundation
import HearthCore
import HearthKnowledge
import HearthWire
import Hummingbird
import NIOCore

/// `/v1/files` and `/v1/vector_stores`: OpenAI's Files and Vector Stores APIs over the
/// knowledge base. A vector store is a collection (its id is the collection's name); adding
/// a file queues its ingestion, and the file's status tells when it is searchable.
struct OpenAIFilesRoutes<Context: RequestContext>: Sendable {
    let knowledge: KnowledgeBase
    let maxBodyBytes: Int
    let maxFileBytes: Int
    func add(to router: Router<Context>) {
        router.post("/v1/files") { request, _ in try await upload(request) }
        router.get("/v1/files") { request, _ in
            var files = try await knowledge.store.files()
            if let purpose = request.uri.queryParameters.get("purpose") { files = files.filter { $0.purpose == purpose } }
            return try json(page(files.map(OpenAI.File.init), id: \.id, request))
        }
        router.get("/v1/files/{id}") { _, context in try json(OpenAI.File(try await file(context))) }
        router.get("/v1/files/{id}/content") { _, context in
            let id = try context.parameters.require("id")
            guard let data = try await knowledge.store.fileContent(id) else { throw Self.fileNotFound(id) }
            return Response(
                status: .ok, headers: [.contentType: "application/octet-stream"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.delete("/v1/files/{id}") { _, context in
            let id = try context.parameters.require("id")
            guard try await knowledge.store.deleteFile(id) else { throw Self.fileNotFound(id) }
            return try json(OpenAI.Deleted(id: id, object: "file", deleted: true))
        }

        router.post("/v1/vector_stores") { request, _ in
            let wire = try await request.decode(OpenAI.VectorStoreRequest.self, upTo: maxBodyBytes)
            let name = "vs_" + OpenAIRoutes.randomID()
            _ = try await knowledge.ingestor.collection(name, embeddingModel: knowledge.embeddingModel, label: wire.name ?? "")
            for fileID in wire.fileIDs ?? [] { try await attach(fileID, to: name, attributes: [:]) }
            return try json(try await vectorStore(name))
        }
        router.get("/v1/vector_stores") { request, _ in
            var stores: [OpenAI.VectorStore] = []
            for collection in try await knowledge.store.collections() {
                stores.append(OpenAI.VectorStore(collection, attachments: try await knowledge.store.attachments(in: collection.name)))
            }
            return try json(page(stores, id: \.id, request))
        }
        router.get("/v1/vector_stores/{store}") { _, context in try json(try await vectorStore(try context.parameters.require("store"))) }
        router.post("/v1/vector_stores/{store}") { request, context in
            let name = try context.parameters.require("store")
            let wire = try await request.decode(OpenAI.VectorStoreRequest.self, upTo: maxBodyBytes)
            if let label = wire.name { try await knowledge.store.relabelCollection(name, label: label) }
            return try json(try await vectorStore(name))
        }
        router.delete("/v1/vector_stores/{store}") { _, context in
            let name = try context.parameters.require("store")
            guard try await knowledge.store.deleteCollection(name) else { throw KnowledgeCollection.notFound(name) }
            return try json(OpenAI.Deleted(id: name, object: "vector_store.deleted", deleted: true))
        }

        router.post("/v1/vector_stores/{store}/files") { request, context in
            let name = try context.parameters.require("store")
            let wire = try await request.decode(OpenAI.VectorStoreFileRequest.self, upTo: maxBodyBytes)
            return try json(OpenAI.VectorStoreFile(try await attach(wire.fileID, to: name, attributes: wire.textAttributes)))
        }
        router.get("/v1/vector_stores/{store}/files") { request, context in
            try json(filesPage(try await knowledge.store.attachments(in: try context.parameters.require("store")), request))
        }
        router.get("/v1/vector_stores/{store}/files/{file}") { _, context in
            try json(OpenAI.VectorStoreFile(try await attachment(context)))
        }
        router.delete("/v1/vector_stores/{store}/files/{file}") { _, context in
            let name = try context.parameters.require("store")
            let fileID = try context.parameters.require("file")
            guard try await knowledge.store.deleteAttachment(fileID: fileID, in: name) else { throw Self.fileNotFound(fileID) }
            return try json(OpenAI.Deleted(id: fileID, object: "vector_store.file.deleted", deleted: true))
        }

        router.post("/v1/vector_stores/{store}/file_batches") { request, context in
            let name = try context.parameters.require("store")
            let wire = try await request.decode(OpenAI.FileBatchRequest.self, upTo: maxBodyBytes)
            let files = wire.members
            guard !files.isEmpty else { throw HearthError.invalidRequest("'file_ids' or 'files' is required", field: "file_ids") }
            for (fileID, attributes) in files { try await attach(fileID, to: name, attributes: attributes) }
            let batch = FileBatch(id: "vsfb_" + OpenAIRoutes.randomID(), collection: name, fileIDs: files.map(\.fileID))
            try await knowledge.store.putFileBatch(batch)
            return try json(try await fileBatch(batch))
        }
        router.get("/v1/vector_stores/{store}/file_batches/{batch}") { _, context in
            try json(try await fileBatch(try await batch(context)))
        }
        router.post("/v1/vector_stores/{store}/file_batches/{batch}/cancel") { _, context in
            let batch = try await batch(context)
            try await knowledge.store.cancelAttachments(fileIDs: batch.fileIDs, in: batch.collection)
            return try json(try await fileBatch(batch))
        }
        router.get("/v1/vector_stores/{store}/file_batches/{batch}/files") { request, context in
            try json(filesPage(try await members(of: try await batch(context)), request))
        }

        router.post("/v1/vector_stores/{store}/search") { request, context in
            let name = try context.parameters.require("store")
            let wire = try await request.decode(OpenAI.VectorStoreSearchRequest.self, upTo: maxBodyBytes)
            let queries = wire.query.values
            guard !queries.isEmpty else { throw HearthError.invalidRequest("'query' must not be empty", field: "query") }
            let filter = SearchFilter(metadata: try wire.filters?.equalities() ?? [:])
            let k = wire.maxNumResults ?? 10
            guard (1...50).contains(k) else {
                throw HearthError.invalidRequest("'max_num_results' must be 1 to 50", field: "max_num_results")
            }
            var hits = try await knowledge.retriever.search(
                RetrievalQuery(text: queries.joined(separator: " "), collections: [name], k: k, filter: filter))
            if let threshold = wire.rankingOptions?.scoreThreshold { hits = hits.filter { ($0.similarity ?? $0.score) >= threshold } }
            return try json(OpenAI.VectorStoreSearchPage(query: queries, hits: hits))
        }
    }

    // MARK: - Helpers

    private func upload(_ request: Request) async throws -> Response {
        let data = Data(buffer: try await request.body.collect(upTo: maxFileBytes))
        let form = try Multipart(contentType: request.headers[.contentType], body: data)
        guard let part = form.part("file") else { throw HearthError.invalidRequest("the form has no 'file' part", field: "file") }
        let purpose = form.part("purpose").map { String(decoding: $0.data, as: UTF8.self) } ?? "assistants"
        let filename = URL(filePath: part.filename ?? "upload.txt").lastPathComponent
        let file = StoredFile(
            id: "file-" + OpenAIRoutes.randomID(), filename: filename, purpose: purpose, bytes: Int64(part.data.count))
        try await knowledge.store.putFile(file, content: part.data)
        return try json(OpenAI.File(file))
    }

    private func file(_ context: Context) async throws -> StoredFile {
        let id = try context.parameters.require("id")
        guard let file = try await knowledge.store.file(id) else { throw Self.fileNotFound(id) }
        return file
    }

    private func attachment(_ context: Context) async throws -> FileAttachment {
        let fileID = try context.parameters.require("file")
        guard let attachment = try await knowledge.store.attachment(fileID: fileID, in: try context.parameters.require("store")) else {
            throw Self.fileNotFound(fileID)
        }
        return attachment
    }

    /// A page of vector-store files, only those of the status `?filter=` names when it is given.
    private func filesPage(_ attachments: [FileAttachment], _ request: Request) -> OpenAI.Page<OpenAI.VectorStoreFile> {
        let filter = request.uri.queryParameters.get("filter")
        let kept = filter.map { status in attachments.filter { $0.status.rawValue == status } } ?? attachments
        return page(kept.map(OpenAI.VectorStoreFile.init), id: \.id, request)
    }

    /// Records the file as being added and queues its ingestion.
    @discardableResult
    private func attach(_ fileID: String, to collection: String, attributes: [String: String]) async throws -> FileAttachment {
        guard let file = try await knowledge.store.file(fileID) else { throw Self.fileNotFound(fileID) }
        let attachment = FileAttachment(fileID: fileID, collection: collection, bytes: file.bytes, attributes: attributes)
        try await knowledge.store.putAttachment(attachment)
        knowledge.uploads.submit(UploadQueue.Work(fileID: fileID, collection: collection))
        return attachment
    }

    private func vectorStore(_ name: String) async throws -> OpenAI.VectorStore {
        guard let collection = try await knowledge.store.collection(name) else { throw KnowledgeCollection.notFound(name) }
        return OpenAI.VectorStore(collection, attachments: try await knowledge.store.attachments(in: name))
    }

    private func batch(_ context: Context) async throws -> FileBatch {
        let id = try context.parameters.require("batch")
        guard let batch = try await knowledge.store.fileBatch(id, in: try context.parameters.require("store")) else {
            throw HearthError(.notFound, "file batch '\(id.prefix(80))' not found")
        }
        return batch
    }

    /// The batch's files as they stand in its collection (a file removed since is left out).
    private func members(of batch: FileBatch) async throws -> [FileAttachment] {
        let members = Set(batch.fileIDs)
        return try await knowledge.store.attachments(in: batch.collection).filter { members.contains($0.fileID) }
    }

    private func fileBatch(_ batch: FileBatch) async throws -> OpenAI.FileBatch {
        OpenAI.FileBatch(
            id: batch.id, vectorStoreID: batch.collection, createdAt: Int(batch.createdAt.timeIntervalSince1970),
            attachments: try await members(of: batch))
    }

    private func page<Item: Codable & Sendable>(_ items: [Item], id: (Item) -> String, _ request: Request) -> OpenAI.Page<Item> {
        let query = request.uri.queryParameters
        let ordered = query.get("order") == "asc" ? items.reversed() : items
        return OpenAI.Page(Array(ordered), id: id, after: query.get("after"), limit: query.get("limit").flatMap { Int($0) })
    }

    static func fileNotFound(_ id: String) -> HearthError {
        HearthError(.notFound, "file '\(id.prefix(80))' not found", field: "file_id")
    }
}
