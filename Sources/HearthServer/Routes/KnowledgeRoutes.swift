import HearthCore
import HearthServices
import HearthWire
import Hummingbird
import Logging

/// `/hearth/collections`, `/hearth/ingest`, `/hearth/search`, `/hearth/ask`: the knowledge base.
struct KnowledgeRoutes: Sendable {
    let knowledge: KnowledgeService
    let metrics: Metrics
    let maxBodyBytes: Int

    func add(to router: Router<HearthRequestContext>) {
        router.get("/hearth/collections") { _, context in
            try json(KnowledgeWire.CollectionList(try await knowledge.collections(by: context.principal)))
        }
        router.post("/hearth/collections") { request, context in
            let wire = try await request.decode(KnowledgeWire.CreateCollection.self, upTo: maxBodyBytes)
            let collection = try await knowledge.createCollection(wire.name, embeddingModel: wire.embeddingModel, by: context.principal)
            return try json(KnowledgeWire.Collection(collection), status: .created)
        }
        router.get("/hearth/collections/{name}") { _, context in
            try json(detail(try await knowledge.collection(try context.parameters.segment("name"), by: context.principal)))
        }
        router.get("/hearth/collections/{name}/chunks") { request, context in
            guard let path = request.uri.queryParameters.get("path") else {
                throw HearthError.invalidRequest("'?path=' names the document whose chunks to list", field: "path")
            }
            let (document, chunks) = try await knowledge.chunks(
                of: path, in: try context.parameters.segment("name"), by: context.principal)
            return try json(KnowledgeWire.DocumentChunks(path: document.path, chunks: chunks))
        }
        router.put("/hearth/collections/{name}/shares") { request, context in
            let wire = try await request.decode(KnowledgeWire.Shares.self, upTo: maxBodyBytes)
            return try json(
                detail(try await knowledge.share(try context.parameters.segment("name"), with: wire.users, by: context.principal)))
        }
        router.delete("/hearth/collections/{name}") { _, context in
            let name = try context.parameters.segment("name")
            try await knowledge.deleteCollection(name, by: context.principal)
            return try json(KnowledgeWire.Deleted(name: name, deleted: true))
        }
        router.post("/hearth/ingest") { request, context in try await ingest(request, context) }
        router.post("/hearth/search") { request, context in
            let wire = try await request.decode(KnowledgeWire.SearchRequest.self, upTo: maxBodyBytes)
            return try json(
                KnowledgeWire.SearchResponse(query: wire.query, hits: try await knowledge.search(try wire.native(), by: context.principal)))
        }
        router.post("/hearth/ask") { request, context in try await ask(request, context) }
    }

    private func detail(_ detail: KnowledgeService.CollectionDetail) -> KnowledgeWire.CollectionDetail {
        KnowledgeWire.CollectionDetail(
            detail.collection, documents: detail.documents, lastJob: detail.lastJob, sharedWith: detail.sharedWith)
    }

    func ingest(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let logger = context.logger
        let wire = try await request.decode(KnowledgeWire.IngestRequest.self, upTo: maxBodyBytes)
        let events =
            wire.resume == true
            ? knowledge.resume(in: wire.collection, by: context.principal)
            : knowledge.ingest(try wire.native(), embeddingModel: wire.embeddingModel, by: context.principal)
        return try await StartedStream(events).ndjson(
            logger: logger,
            { event in
                let (name, job): (String, IngestionJob) =
                    switch event {
                    case .interrupted(let job): ("interrupted", job)
                    case .started(let job): ("started", job)
                    case .progress(let job): ("progress", job)
                    case .finished(let job): ("finished", job)
                    }
                return try Ollama.line(KnowledgeWire.IngestEvent(event: name, job: KnowledgeWire.Job(job)))
            },
            failure: { (try? Ollama.line(KnowledgeWire.IngestEvent(event: "error", error: $0.body.error))) ?? "" })
    }

    func ask(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let wire = try await request.decode(KnowledgeWire.AskRequest.self, upTo: maxBodyBytes)
        let answer = try await knowledge.ask(
            try wire.native(), model: wire.model, params: wire.params, history: wire.history, by: context.principal)
        // Retrieval and the model's start fail as HTTP errors, before any event.
        let generation = try await Generation.start(model: answer.model, metrics: metrics) { answer.events }
        guard wire.stream == true else {
            let whole = try await generation.collect(for: context)
            return try json(
                KnowledgeWire.AskResponse(
                    model: answer.model, answer: whole.text, sources: answer.sources, usage: whole.usage, finishReason: whole.reason))
        }
        let sources = KnowledgeWire.Hit.ranked(answer.sources)
        return generation.sse { event in
            switch event {
            case .start: [try ServerSentEvents.event(KnowledgeWire.AskEvent(sources: sources))]
            case .text(let text): [try ServerSentEvents.event(KnowledgeWire.AskEvent(delta: text))]
            case .toolCall: []  // no tools are offered
            case .done(let reason, let usage):
                [try ServerSentEvents.event(KnowledgeWire.AskEvent(finishReason: reason.rawValue, usage: OpenAI.Usage(usage)))]
            }
        }
    }
}
