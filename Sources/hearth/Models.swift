import ArgumentParser
import Foundation
import HearthCore
import HearthEngine
import HearthModels

extension Hearth {
    struct Models: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List and inspect installed models.",
            subcommands: [List.self, Show.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List installed models.")

            func run() async throws {
                let store = ModelStore(root: try Configuration(environment: ProcessInfo.processInfo.environment).paths.models)
                let entries: [ModelStore.Entry]
                do { entries = try store.list() } catch { throw fail(error) }
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
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Show a model's metadata: architecture, parameters, quantization, context, template.",
                discussion: "Example:\n  hearth models show gemma3:270m")

            @Argument(help: "Model name (name:tag) or path to a .gguf file.")
            var model: String

            func run() async throws {
                do {
                    let store = ModelStore(root: try Configuration(environment: ProcessInfo.processInfo.environment).paths.models)
                    let details = try await Engine.inspect(path: store.resolve(model).path)
                    let rows: [(String, String)] = [
                        ("name", model),
                        ("architecture", details.architecture),
                        ("parameters", formatCount(details.parameters)),
                        ("quantization", details.quantization),
                        ("context length", "\(details.contextLength)"),
                        ("embedding length", "\(details.embeddingLength)"),
                        ("size on disk", formatBytes(details.fileSize)),
                        ("chat template", details.chatTemplate),
                        ("file", details.path),
                    ]
                    for (key, value) in rows { print("  \(key.padding(toLength: 18, withPad: " ", startingAt: 0))\(value)") }
                } catch {
                    throw fail(error)
                }
            }
        }
    }
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

func formatCount(_ count: UInt64) -> String {
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
