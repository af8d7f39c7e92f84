import Foundation
import HearthCore

/// Answers a question from a knowledge base in two steps: `sources(for:)` retrieves and keeps
/// the hits similar enough to the question; `answer(_:from:…)` asks the model to answer from
/// them citing [n], and ends with the list of sources. When there are no sources it says it
/// found nothing instead of asking the model.
public struct Answerer: Sendable {
    public typealias Generate = @Sendable (GenerationRequest) async throws -> AsyncThrowingStream<TokenEvent, any Error>

    /// Most tokens an answer runs to when the caller sets no limit (`hearth ask`, `/hearth/ask`).
    public static let defaultMaxTokens = 512

    public var retriever: Retriever
    /// Hits less similar to the question than this (cosine) are not used.
    public var minSimilarity: Double

    public init(retriever: Retriever, minSimilarity: Double = 0.25) {
        self.retriever = retriever
        self.minSimilarity = minSimilarity
    }

    /// The hits worth answering from (possibly none).
    /// - Throws: the retriever's errors (`.notFound` for an unknown collection, …).
    public func sources(for query: RetrievalQuery) async throws -> [SearchHit] {
        try await retriever.search(query).filter { ($0.similarity ?? 0) >= minSimilarity }
    }

    /// Streams an answer to `query.text` from `hits` (what `sources(for:)` returned), with
    /// `model`: the model's text with [n] markers, then the list of sources, then the end.
    /// - Throws: (in the stream) the generation's errors, as `HearthError`.
    public func answer(
        _ query: RetrievalQuery, from hits: [SearchHit], model: String, params: GenerationParams = GenerationParams(),
        history: [ChatMessage] = [], generate: @escaping Generate
    ) -> AsyncThrowingStream<TokenEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    guard !hits.isEmpty else {
                        continuation.yield(.text(Self.nothingFound(query.collections)))
                        continuation.yield(.done(.stop, Usage(promptTokens: 0, completionTokens: 0)))
                        continuation.finish()
                        return
                    }
                    var request = GenerationRequest(
                        model: model, prompt: .chat(Self.messages(question: query.text, hits: hits, history: history)), params: params)
                    if request.params.temperature == nil { request.params.temperature = 0.2 }
                    if request.params.repeatPenalty == nil { request.params.repeatPenalty = 1.1 }
                    var marker = CitationMarker(sources: hits.map(\.text))
                    var finish = (FinishReason.stop, Usage(promptTokens: 0, completionTokens: 0))
                    for try await event in try await generate(request) {
                        switch event {
                        case .text(let text):
                            let ready = marker.feed(text)
                            if !ready.isEmpty { continuation.yield(.text(ready)) }
                        case .done(let reason, let usage):
                            finish = (reason, usage)
                        case .toolCall:
                            break  // no tools are offered
                        }
                    }
                    continuation.yield(.text(marker.finish() + "\n\n" + Self.sourceList(hits)))
                    continuation.yield(.done(finish.0, finish.1))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public static func nothingFound(_ collections: [String]) -> String {
        "I found nothing about that in \(collections.joined(separator: ", ")), so I cannot answer from it."
    }

    /// The conversation sent to the model: instructions with the numbered sources, earlier
    /// turns, then the question.
    public static func messages(question: String, hits: [SearchHit], history: [ChatMessage] = []) -> [ChatMessage] {
        var system = """
            Answer the question using only the numbered sources below. After each fact, cite its source \
            number in brackets, like [1]. If the sources do not contain the answer, say that you do not know.

            Sources:
            """
        for (index, hit) in hits.enumerated() {
            let title = hit.heading.isEmpty ? hit.path : "\(hit.path) › \(hit.heading)"
            system += "\n\n[\(index + 1)] \(title)\n\(hit.text)"
        }
        return [ChatMessage(role: .system, content: system)] + history + [ChatMessage(role: .user, content: question)]
    }

    /// "Sources:" and one line per hit: number, path, heading, lines or page, score.
    public static func sourceList(_ hits: [SearchHit]) -> String {
        var lines = ["Sources:"]
        for (index, hit) in hits.enumerated() {
            var line = "[\(index + 1)] \(hit.path)"
            if !hit.heading.isEmpty { line += " — \(hit.heading)" }
            if !hit.location.summary.isEmpty { line += ", \(hit.location.summary)" }
            line += String(format: " (score %.2f)", hit.similarity ?? hit.score)
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
