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
                    printTable(
                        ["NAME", "DOCUMENTS", "CHUNKS", "SIZE", "EMBEDDING MODEL"],
                        collections.map { [$0.name, "\($0.documents)", "\($0.chunks)", formatBytes($0.bytes), $0.embeddingModel] })
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
