import Foundation
import HearthCore
import HearthKnowledge
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
            let wire = try WireDecoder.decode(KnowledgeWire.CreateCollection.self, from: try await body(request))
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
            let wire = try WireDecoder.decode(KnowledgeWire.SearchRequest.self, from: try await body(request))
            let hits = try await knowledge.retriever.search(try wire.native())
            return try json(KnowledgeWire.SearchResponse(query: wire.query, hits: hits))
        }
        router.post("/hearth/ask") { request, _ in try await ask(request) }
    }

    private func body(_ request: Request) async throws -> Data {
        Data(buffer: try await request.body.collect(upTo: maxBodyBytes))
    }

    func ask(_ request: Request) async throws -> Response {
        let wire = try WireDecoder.decode(KnowledgeWire.AskRequest.self, from: try await body(request))
        let query = try wire.native()
        let model = ChatPipeline.canonicalName(wire.model ?? pipeline.defaultModel)
        let params = GenerationParams(maxTokens: wire.maxTokens ?? Answerer.defaultMaxTokens, temperature: wire.temperature)
        try params.validate()
        let events = knowledge.answerer.answer(
            query, model: model, params: params, generate: { [pipeline] in try await pipeline.generate($0) })
        let iterator = IteratorBox(events.makeAsyncIterator())
        // The sources come first; failures before them (unknown collection) are HTTP errors.
        guard case .sources(let hits)? = try await iterator.next() else {
            throw HearthError(.internalError, "the answer began without its sources")
        }
        guard wire.stream == true else {
            var answer = ""
            var finish = (FinishReason.stop, Usage(promptTokens: 0, completionTokens: 0))
            while let event = try await iterator.next() {
                switch event {
                case .text(let text): answer += text
                case .done(let reason, let usage): finish = (reason, usage)
                case .sources: break
                }
            }
            metrics.recordTokens(model: model, prompt: finish.1.promptTokens, completion: finish.1.completionTokens)
            return try json(KnowledgeWire.AskResponse(model: model, answer: answer, sources: hits, usage: finish.1, finishReason: finish.0))
        }
        let sources = hits.enumerated().map { KnowledgeWire.Hit(rank: $0 + 1, $1) }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                func send(_ event: KnowledgeWire.AskEvent) async throws {
                    try await writer.write(ByteBuffer(string: try ServerSentEvents.event(event)))
                }
                do {
                    try await send(KnowledgeWire.AskEvent(sources: sources))
                    while let event = try await iterator.next() {
                        switch event {
                        case .text(let text): try await send(KnowledgeWire.AskEvent(delta: text))
                        case .done(let reason, let usage):
                            metrics.recordTokens(model: model, prompt: usage.promptTokens, completion: usage.completionTokens)
                            try await send(KnowledgeWire.AskEvent(finishReason: reason.rawValue, usage: OpenAI.Usage(usage)))
                        case .sources: break
                        }
                    }
                } catch {
                    try? await writer.write(ByteBuffer(string: (try? ServerSentEvents.event(APIError(error).body)) ?? ""))
                }
                try await writer.write(ByteBuffer(string: ServerSentEvents.done))
                try await writer.finish(nil)
            })
    }
}

/// An async iterator moved into a response writer.
final class IteratorBox<Element: Sendable>: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<Element, any Error>.AsyncIterator

    init(_ iterator: AsyncThrowingStream<Element, any Error>.AsyncIterator) {
        self.iterator = iterator
    }

    func next() async throws -> Element? {
        try await iterator.next()
    }
}
