import ArgumentParser
import Foundation
import HearthCore
import HearthModels

extension Hearth {
    struct Models: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install, inspect and remove models.",
            discussion: """
                Examples:
                  hearth models list
                  hearth models show gemma3:270m
                  hearth models pull https://example.com/tiny.gguf --name tiny:1m
                  hearth models import ./all-MiniLM-L6-v2 --name all-minilm:l6-v2
                  hearth models create pirate --from smollm2:135m --system "You are a pirate."
                  hearth models cp smollm2:135m assistant:latest
                  hearth models rm assistant
                """,
            subcommands: [List.self, Show.self, Pull.self, Import.self, Create.self, Copy.self, Remove.self])
    }
}

/// The store of the environment's configuration (for `models import`, which converts files in place).
func modelStore() throws -> ModelStore {
    ModelStore(root: try environmentConfiguration().paths.models)
}

func formatBytes(_ bytes: Int64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1000, unit < units.count - 1 {
        value /= 1000
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

func formatCount(_ count: Int) -> String {
    switch count {
    case 1_000_000_000...: String(format: "%.1fB", Double(count) / 1e9)
    case 1_000_000...: String(format: "%.1fM", Double(count) / 1e6)
    default: "\(count)"
    }
}

func printTable(_ header: [String], _ rows: [[String]]) {
    let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
    for row in [header] + rows {
        print(
            row.enumerated().map { $1.padding(toLength: widths[$0] + 3, withPad: " ", startingAt: 0) }.joined().trimmingCharacters(
                in: .whitespaces))
    }
}
