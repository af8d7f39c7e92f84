import ArgumentParser
import Foundation
import HearthModels

extension Hearth.Models {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List installed models and the disk space they take.", aliases: ["ls"])

        func run() async throws {
            let store: ModelStore
            let entries: [ModelStore.Entry]
            do {
                store = try modelStore()
                entries = try store.list()
            } catch { throw fail(error) }
            guard !entries.isEmpty else {
                print("No models installed in \(store.root.path). `make run` installs the defaults.")
                return
            }
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyy-MM-dd HH:mm"
            let rows = entries.map {
                [
                    $0.name, String($0.digest.dropFirst("sha256:".count).prefix(12)), formatBytes($0.size),
                    formatter.string(from: $0.modified),
                ]
            }
            printTable(["NAME", "ID", "SIZE", "MODIFIED"], rows)
            print("\n\(entries.count) models, \(formatBytes(store.diskUsage())) on disk in \(store.root.path)")
        }
    }
}
