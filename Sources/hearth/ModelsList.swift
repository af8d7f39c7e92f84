import ArgumentParser
import Foundation
import HearthWire

extension Hearth.Models {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List installed models and the disk space they take.", aliases: ["ls"])

        func run() async throws {
            let list: ModelsWire.ModelList
            do {
                list = try await Connection.run(try environmentConfiguration()) { try await $0.models() }
            } catch { throw fail(error) }
            guard !list.models.isEmpty else {
                print("No models installed. `make run` installs the defaults; `hearth models pull NAME` adds one.")
                return
            }
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyy-MM-dd HH:mm"
            let rows = list.models.map {
                [
                    $0.name, String($0.digest.dropFirst("sha256:".count).prefix(12)), formatBytes($0.size),
                    formatter.string(from: Date(timeIntervalSince1970: TimeInterval($0.modifiedAt))),
                ]
            }
            printTable(["NAME", "ID", "SIZE", "MODIFIED"], rows)
            print("\n\(list.models.count) models, \(formatBytes(list.diskUsage)) on disk")
        }
    }
}
