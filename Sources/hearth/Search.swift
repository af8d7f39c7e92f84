import ArgumentParser
import Foundation
import HearthApp
import HearthCore
import HearthKnowledge
import HearthWire

/// Flags shared by `search` and `ask`.
struct RetrievalFlags: ParsableArguments {
    @Option(name: [.short, .customLong("collection")], help: "Collection to search (repeat for several).")
    var collections: [String] = []

    @Option(name: .short, help: "Number of chunks to retrieve (1–100).")
    var k = 5

    @Option(name: .customLong("path-prefix"), help: "Only documents whose path starts with this.")
    var pathPrefix: String?

    @Flag(help: "Diversify the hits (maximal marginal relevance).")
    var mmr = false

    func validate() throws {
        guard !collections.isEmpty else { throw ValidationError("name a collection with -c NAME") }
        guard (1...100).contains(k) else { throw ValidationError("-k must be 1 to 100") }
    }

    func query(_ text: String) -> RetrievalQuery {
        let prefix = pathPrefix.map { URL(filePath: $0).standardizedFileURL.path }
        return RetrievalQuery(text: text, collections: collections, k: k, filter: SearchFilter(pathPrefix: prefix), mmr: mmr)
    }
}

extension Hearth {
    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Search a knowledge-base collection (keywords and meaning, fused).",
            discussion: """
                Examples:
                  hearth search "how to list hidden files" -c man
                  hearth search "retry policy" -c project -k 10 --path-prefix docs/ --json
                """)

        @Argument(help: "What to look for.")
        var query: String

        @OptionGroup var retrieval: RetrievalFlags

        @Flag(help: "Print the hits as JSON (as /hearth/search answers).")
        var json = false

        @OptionGroup var engine: EngineFlags

        func run() async throws {
            do {
                let runtime = try Runtime(try engine.configuration(), parallel: 1)
                let hits = try await runtime.knowledge.retriever.search(retrieval.query(query))
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes, .sortedKeys]
                    print(String(decoding: try encoder.encode(KnowledgeWire.SearchResponse(query: query, hits: hits)), as: UTF8.self))
                    return
                }
                guard !hits.isEmpty else {
                    print("no match in \(retrieval.collections.joined(separator: ", "))")
                    return
                }
                for (rank, hit) in hits.enumerated() {
                    var title = "\(rank + 1). \(hit.path)"
                    if !hit.heading.isEmpty { title += " — \(hit.heading)" }
                    if !hit.location.summary.isEmpty { title += ", \(hit.location.summary)" }
                    print(title + String(format: "  (score %.2f, similarity %.2f)", hit.score, hit.similarity ?? 0))
                    let snippet = hit.text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                    print("   " + (snippet.count > 240 ? snippet.prefix(240) + "…" : snippet))
                }
            } catch let error as HearthError {
                throw fail(error)
            }
        }
    }

    struct Ask: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Answer a question from a knowledge-base collection, citing sources.",
            discussion: """
                The answer's sentences carry [n] markers; the sources follow it. When nothing
                relevant is found, it says so instead of guessing.

                Examples:
                  hearth ask "How do I show hidden files with ls?" -c man
                  hearth ask "What does the retry policy do?" -c project --model gemma3:270m
                """)

        @Argument(help: "The question.")
        var question: String

        @OptionGroup var retrieval: RetrievalFlags

        @Option(name: .long, help: "Model that writes the answer (default: the first of HEARTH_MODELS).")
        var model: String?

        @OptionGroup var sampling: SamplingFlags
        @OptionGroup var engine: EngineFlags

        func run() async throws {
            do {
                let runtime = try Runtime(try engine.configuration(), parallel: 1)
                var params = sampling.params
                if params.maxTokens == nil { params.maxTokens = Answerer.defaultMaxTokens }
                let query = retrieval.query(question)
                let answerer = runtime.knowledge.answerer
                let events = answerer.answer(
                    query, from: try await answerer.sources(for: query), model: model ?? runtime.pipeline.defaultModel, params: params,
                    history: sampling.system.map { [ChatMessage(role: .system, content: $0)] } ?? [],
                    generate: { [pipeline = runtime.pipeline] in try await pipeline.generate($0) })
                for try await event in events {
                    if case .text(let text) = event { FileHandle.standardOutput.write(Data(text.utf8)) }
                }
                FileHandle.standardOutput.write(Data("\n".utf8))
            } catch let error as HearthError {
                throw fail(error)
            }
        }
    }
}
