import ArgumentParser
import Foundation
import HearthCore
import HearthSQLite

extension Hearth {
    struct Collections: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "collections",
            abstract: "List, show and remove knowledge-base collections.",
            subcommands: [List.self, Show.self, Remove.self], defaultSubcommand: List.self)

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List collections with their sizes.")

            func run() async throws {
                do {
                    let collections = try await openStore().collections()
                    guard !collections.isEmpty else {
                        print("no collections yet; `hearth ingest PATH -c NAME` makes one")
                        return
                    }
                    print(pad("NAME", 24) + pad("DOCUMENTS", 11) + pad("CHUNKS", 10) + pad("SIZE", 10) + "EMBEDDING MODEL")
                    for c in collections {
                        print(
                            pad(c.name, 24) + pad("\(c.documents)", 11) + pad("\(c.chunks)", 10) + pad(formatBytes(c.bytes), 10)
                                + c.embeddingModel)
                    }
                } catch let error as HearthError {
                    throw fail(error)
                }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Show a collection: its documents and its last ingestion with what it skipped.")

            @Argument(help: "Collection name.")
            var name: String

            func run() async throws {
                do {
                    let store = try openStore()
                    guard let collection = try await store.collection(name) else { throw KnowledgeCollection.notFound(name) }
                    print(
                        "\(collection.name): \(collection.documents) documents, \(collection.chunks) chunks, \(formatBytes(collection.bytes))"
                    )
                    print("embedding model: \(collection.embeddingModel) (\(collection.dimensions) dimensions)")
                    if let job = try await store.jobs(in: name).first {
                        print("last ingestion: job \(job.id), \(job.status.rawValue), \(job.filesDone)/\(job.filesTotal) files")
                        for problem in job.problems { print("  skipped \(problem.path): \(problem.reason)") }
                    }
                    for document in try await store.documents(in: name) {
                        print("  \(document.path)  \(document.chunks) chunks, v\(document.version)")
                    }
                } catch let error as HearthError {
                    throw fail(error)
                }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a collection with its documents.")

            @Argument(help: "Collection name.")
            var name: String

            func run() async throws {
                do {
                    guard try await openStore().deleteCollection(name) else { throw KnowledgeCollection.notFound(name) }
                    print("deleted \(name)")
                } catch let error as HearthError {
                    throw fail(error)
                }
            }
        }
    }
}

/// The knowledge base in the data folder (no model is needed to list or remove).
private func openStore() throws -> SQLiteKnowledgeStore {
    try SQLiteKnowledgeStore(paths: Configuration(environment: ProcessInfo.processInfo.environment).paths)
}

private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
