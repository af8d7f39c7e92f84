import ArgumentParser
import Foundation
import HearthCore

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
                    let collections = try await Connection.run(try environmentConfiguration()) { try await $0.collections() }
                    guard !collections.isEmpty else {
                        print("no collections yet; `hearth ingest PATH -c NAME` makes one")
                        return
                    }
                    printTable(
                        ["NAME", "DOCUMENTS", "CHUNKS", "SIZE", "EMBEDDING MODEL"],
                        collections.map { [$0.name, "\($0.documents)", "\($0.chunks)", formatBytes($0.bytes), $0.embeddingModel] })
                } catch {
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
                    let detail = try await Connection.run(try environmentConfiguration()) { [name] in try await $0.collection(name) }
                    let collection = detail.collection
                    print(
                        "\(collection.name): \(collection.documents) documents, \(collection.chunks) chunks, \(formatBytes(collection.bytes))"
                    )
                    print("embedding model: \(collection.embeddingModel) (\(collection.dimensions) dimensions)")
                    if let job = detail.lastJob {
                        print("last ingestion: job \(job.id), \(job.status.rawValue), \(job.filesDone)/\(job.filesTotal) files")
                        for problem in job.problems { print("  skipped \(problem.path): \(problem.reason)") }
                    }
                    for document in detail.documents {
                        print("  \(document.path)  \(document.chunks) chunks, v\(document.version)")
                    }
                } catch {
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
                    try await Connection.run(try environmentConfiguration()) { [name] in try await $0.deleteCollection(name) }
                    print("deleted \(name)")
                } catch {
                    throw fail(error)
                }
            }
        }
    }
}
