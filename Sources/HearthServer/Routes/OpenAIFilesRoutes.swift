import Foundation
import HearthCore
import HearthServices
import HearthWire
import Hummingbird
import NIOCore

/// `/v1/files` and `/v1/vector_stores`: OpenAI's Files and Vector Stores APIs over the
/// knowledge base. A vector store is a collection (its id is the collection's name); adding
/// a file queues its ingestion, and the file's status tells when it is searchable.
struct OpenAIFilesRoutes: Sendable {
    let knowledge: KnowledgeService
    let maxBodyBytes: Int
    let maxFileBytes: Int

    func add(to router: Router<HearthRequestContext>) {
        router.post("/v1/files") { request, context in
            let form = try Multipart(
                contentType: request.headers[.contentType], body: Data(buffer: try await request.body.collect(upTo: maxFileBytes)))
            guard let part = form.part("file") else { throw HearthError.invalidRequest("the form has no 'file' part", field: "file") }
            let purpose = form.part("purpose").map { String(decoding: $0.data, as: UTF8.self) }
            return try json(
                OpenAI.File(try await knowledge.upload(part.data, filename: part.filename, purpose: purpose, by: context.principal)))
        }
        router.get("/v1/files") { request, context in
            let purpose = request.uri.queryParameters.get("purpose").map { String($0) }
            let files = try await knowledge.files(purpose: purpose, by: context.principal)
            return try json(page(files.map(OpenAI.File.init), id: \.id, request))
        }
        router.get("/v1/files/{id}") { _, context in
            try json(OpenAI.File(try await knowledge.file(try context.parameters.require("id"), by: context.principal)))
        }
        router.get("/v1/files/{id}/content") { _, context in
            let data = try await knowledge.fileContent(try context.parameters.require("id"), by: context.principal)
            return Response(
                status: .ok, headers: [.contentType: "application/octet-stream"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.delete("/v1/files/{id}") { _, context in
            let id = try context.parameters.require("id")
            try await knowledge.deleteFile(id, by: context.principal)
            return try json(OpenAI.Deleted(id: id, object: "file", deleted: true))
        }

        router.post("/v1/vector_stores") { request, context in
            let wire = try await request.decode(OpenAI.VectorStoreRequest.self, upTo: maxBodyBytes)
            return try json(
                vectorStore(try await knowledge.createVectorStore(label: wire.name, fileIDs: wire.fileIDs ?? [], by: context.principal)))
        }
        router.get("/v1/vector_stores") { request, context in
            try json(page(try await knowledge.vectorStores(by: context.principal).map(vectorStore), id: \.id, request))
        }
        router.get("/v1/vector_stores/{store}") { _, context in
            try json(vectorStore(try await knowledge.vectorStore(try context.parameters.require("store"), by: context.principal)))
        }
        router.post("/v1/vector_stores/{store}") { request, context in
            let name = try context.parameters.require("store")
            let wire = try await request.decode(OpenAI.VectorStoreRequest.self, upTo: maxBodyBytes)
            if let label = wire.name {
                return try json(vectorStore(try await knowledge.relabel(name, label: label, by: context.principal)))
            }
            return try json(vectorStore(try await knowledge.vectorStore(name, by: context.principal)))
        }
        router.delete("/v1/vector_stores/{store}") { _, context in
            let name = try context.parameters.require("store")
            try await knowledge.deleteCollection(name, by: context.principal)
            return try json(OpenAI.Deleted(id: name, object: "vector_store.deleted", deleted: true))
        }

        router.post("/v1/vector_stores/{store}/files") { request, context in
            let wire = try await request.decode(OpenAI.VectorStoreFileRequest.self, upTo: maxBodyBytes)
            let attachment = try await knowledge.attach(
                wire.fileID, to: try context.parameters.require("store"), attributes: wire.textAttributes, by: context.principal)
            return try json(OpenAI.VectorStoreFile(attachment))
        }
        router.get("/v1/vector_stores/{store}/files") { request, context in
            let status = request.uri.queryParameters.get("filter").map { String($0) }
            let attachments = try await knowledge.attachments(
                in: try context.parameters.require("store"), status: status, by: context.principal)
            return try json(page(attachments.map(OpenAI.VectorStoreFile.init), id: \.id, request))
        }
        router.get("/v1/vector_stores/{store}/files/{file}") { _, context in
            let attachment = try await knowledge.attachment(
                try context.parameters.require("file"), in: try context.parameters.require("store"), by: context.principal)
            return try json(OpenAI.VectorStoreFile(attachment))
        }
        router.delete("/v1/vector_stores/{store}/files/{file}") { _, context in
            let fileID = try context.parameters.require("file")
            try await knowledge.detach(fileID, from: try context.parameters.require("store"), by: context.principal)
            return try json(OpenAI.Deleted(id: fileID, object: "vector_store.file.deleted", deleted: true))
        }

        router.post("/v1/vector_stores/{store}/file_batches") { request, context in
            let wire = try await request.decode(OpenAI.FileBatchRequest.self, upTo: maxBodyBytes)
            return try json(
                fileBatch(try await knowledge.addBatch(wire.members, to: try context.parameters.require("store"), by: context.principal)))
        }
        router.get("/v1/vector_stores/{store}/file_batches/{batch}") { _, context in
            let (id, store) = (try context.parameters.require("batch"), try context.parameters.require("store"))
            return try json(fileBatch(try await knowledge.batch(id, in: store, by: context.principal)))
        }
        router.post("/v1/vector_stores/{store}/file_batches/{batch}/cancel") { _, context in
            let (id, store) = (try context.parameters.require("batch"), try context.parameters.require("store"))
            return try json(fileBatch(try await knowledge.cancelBatch(id, in: store, by: context.principal)))
        }
        router.get("/v1/vector_stores/{store}/file_batches/{batch}/files") { request, context in
            let (id, store) = (try context.parameters.require("batch"), try context.parameters.require("store"))
            var attachments = try await knowledge.batch(id, in: store, by: context.principal).attachments
            if let status = request.uri.queryParameters.get("filter") { attachments = attachments.filter { $0.status.rawValue == status } }
            return try json(page(attachments.map(OpenAI.VectorStoreFile.init), id: \.id, request))
        }

        router.post("/v1/vector_stores/{store}/search") { request, context in
            let wire = try await request.decode(OpenAI.VectorStoreSearchRequest.self, upTo: maxBodyBytes)
            let hits = try await knowledge.search(
                wire.query.values, in: try context.parameters.require("store"), k: wire.maxNumResults ?? 10,
                filter: SearchFilter(metadata: try wire.filters?.equalities() ?? [:]), threshold: wire.rankingOptions?.scoreThreshold,
                by: context.principal)
            return try json(OpenAI.VectorStoreSearchPage(query: wire.query.values, hits: hits))
        }
    }

    // MARK: - Wire shapes

    private func vectorStore(_ store: KnowledgeService.VectorStore) -> OpenAI.VectorStore {
        OpenAI.VectorStore(store.collection, attachments: store.attachments)
    }

    private func fileBatch(_ batch: KnowledgeService.Batch) -> OpenAI.FileBatch {
        OpenAI.FileBatch(
            id: batch.batch.id, vectorStoreID: batch.batch.collection, createdAt: Int(batch.batch.createdAt.timeIntervalSince1970),
            attachments: batch.attachments)
    }

    /// OpenAI's cursor pages: `?order=asc|desc`, `?after=ID`, `?limit=N`.
    private func page<Item: Codable & Sendable>(_ items: [Item], id: (Item) -> String, _ request: Request) -> OpenAI.Page<Item> {
        let query = request.uri.queryParameters
        let ordered = query.get("order") == "asc" ? items.reversed() : items
        return OpenAI.Page(Array(ordered), id: id, after: query.get("after"), limit: query.get("limit").flatMap { Int($0) })
    }
}
