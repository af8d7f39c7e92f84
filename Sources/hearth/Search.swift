import ArgumentParser
import Foundation
import HearthClient
import HearthCore
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

    /// The filter, with the path prefix made absolute.
    var filter: KnowledgeWire.Filter? {
        pathPrefix.map { KnowledgeWire.Filter(pathPrefix: URL(filePath: $0).standardizedFileURL.path) }
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
            let request = KnowledgeWire.SearchRequest(
                query: query, collections: retrieval.collections, k: retrieval.k, filter: retrieval.filter, mmr: retrieval.mmr)
            let response: KnowledgeWire.SearchResponse
            do {
                response = try await Connection.run(try engine.configuration()) { try await $0.search(request) }
            } catch {
                throw fail(error)
            }
            if json { return print(try prettyJSON(response)) }
            guard !response.hits.isEmpty else {
                print("no match in \(retrieval.collections.joined(separator: ", "))")
                return
            }
            for hit in response.hits {
                var title = "\(hit.rank). \(hit.path)"
                if !hit.heading.isEmpty { title += " — \(hit.heading)" }
                if !hit.location.summary.isEmpty { title += ", \(hit.location.summary)" }
                print(title + String(format: "  (score %.2f, similarity %.2f)", hit.score, hit.similarity ?? 0))
                let snippet = hit.text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                print("   " + (snippet.count > 240 ? snippet.prefix(240) + "…" : snippet))
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

        @Option(name: .long, help: "Model that writes the answer (default: the server's, the first of HEARTH_MODELS).")
        var model: String?

        @OptionGroup var sampling: SamplingFlags
        @OptionGroup var engine: EngineFlags

        func run() async throws {
            let request = KnowledgeWire.AskRequest(
                question: question, collections: retrieval.collections, k: retrieval.k, model: model,
                temperature: sampling.temperature, maxTokens: sampling.maxTokens, seed: sampling.seed, filter: retrieval.filter,
                mmr: retrieval.mmr, system: sampling.system)
            do {
                try await Connection.run(try engine.configuration()) { client in
                    for try await event in client.ask(request) {
                        if let text = event.delta { FileHandle.standardOutput.write(Data(text.utf8)) }
                    }
                    FileHandle.standardOutput.write(Data("\n".utf8))
                }
            } catch {
                throw fail(error)
            }
        }
    }
}
