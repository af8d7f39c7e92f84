import Foundation
import HearthCore
import HearthKnowledge
import HearthModels
import HearthProviders
import HearthWire
import Hummingbird
import NIOCore

/// `/hearth/collections`, `/hearth/search`, `/hearth/ask`: the knowledge base.
struct KnowledgeRoutes<Context: RequestContext>: Sendable {
    let pipeline: ChatPipeline
    let knowledge: KnowledgeBase
    let metrics: Metrics
    let maxBodyBytes: Int

    func add(to router: Router<Context>) {
        router.get("/hearth/collections") { _, _ in try json(KnowledgeWire.CollectionList(try await knowledge.store.collections())) }
        router.post("/hearth/collections") { request, _ in
            let wire = try await request.decode(KnowledgeWire.CreateCollection.self, upTo: maxBodyBytes)
            let collection = try await knowledge.ingestor.collection(
                wire.name, embeddingModel: wire.embeddingModel ?? knowledge.embeddingModel)
            return try json(KnowledgeWire.Collection(collection), status: .created)
        }
        router.get("/hearth/collections/{name}") { _, context in
            let name = try context.parameters.require("name")
            guard let collection = try await knowledge.store.collection(name) else { throw KnowledgeCollection.notFound(name) }
            return try json(KnowledgeWire.CollectionDetail(collection, documents: try await knowledge.store.documents(in: name)))
        }
        router.delete("/hearth/collections/{name}") { _, context in
            let name = try context.parameters.require("name")
            guard try await knowledge.store.deleteCollection(name) else { throw KnowledgeCollection.notFound(name) }
            return try json(KnowledgeWire.Deleted(name: name, deleted: true))
        }
        router.post("/hearth/search") { request, _ in
            let wire = try await request.decode(KnowledgeWire.SearchRequest.self, upTo: maxBodyBytes)
            let hits = try await knowledge.retriever.search(try wire.native())
            return try json(KnowledgeWire.SearchResponse(query: wire.query, hits: hits))
        }
        router.post("/hearth/ask") { request, _ in try await ask(request) }
    }

    func ask(_ request: Request) async throws -> Response {
        let wire = try await request.decode(KnowledgeWire.AskRequest.self, upTo: maxBodyBytes)
        let query = try wire.native()
        let model = ModelStore.canonicalName(wire.model ?? pipeline.defaultModel)
        let params = GenerationParams(maxTokens: wire.maxTokens ?? Answerer.defaultMaxTokens, temperature: wire.temperature)
        try params.validate()
        // Retrieval and the model's start fail as HTTP errors, before any event.
        let hits = try await knowledge.answerer.sources(for: query)
        let generation = try await Generation.start(
            events: knowledge.answerer.answer(
                query, from: hits, model: model, params: params, generate: { [pipeline] in try await pipeline.generate($0) }),
            model: model, metrics: metrics)
        guard wire.stream == true else {
            let (answer, reason, usage) = try await generation.collect()
            return try json(KnowledgeWire.AskResponse(model: model, answer: answer, sources: hits, usage: usage, finishReason: reason))
        }
        let sources = KnowledgeWire.Hit.ranked(hits)
        return generation.sse { event in
            switch event {
            case .start: [try ServerSentEvents.event(KnowledgeWire.AskEvent(sources: sources))]
            case .text(let text): [try ServerSentEvents.event(KnowledgeWire.AskEvent(delta: text))]
            case .done(let reason, let usage):
                [try ServerSentEvents.event(KnowledgeWire.AskEvent(finishReason: reason.rawValue, usage: OpenAI.Usage(usage)))]
            }
        }
    }
}
