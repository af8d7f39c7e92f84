import ArgumentParser
import Foundation
import HearthEngine
import HearthModels

extension Hearth.Models {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a model's metadata (read from the file's header; weights are not loaded).",
            discussion: "Example:\n  hearth models show gemma3:270m")

        @Argument(help: "Model name (name:tag) or path to a .gguf file.")
        var model: String

        func run() async throws {
            do {
                let store = try modelStore()
                let file = try store.resolve(model)
                let profile = ModelStore.isPath(model) ? nil : try store.entry(model)?.profile
                let metadata = try ModelMetadata.read(file)
                let template = metadata.chatTemplate.map { "from the model (\($0.count) characters)" }
                let rows: [(String, String?)] = [
                    ("name", ModelStore.canonicalName(model)),
                    ("architecture", metadata.architecture),
                    ("parameters", formatCount(metadata.parameters)),
                    ("quantization", metadata.quantization),
                    ("context length", metadata.contextLength.map(String.init)),
                    ("embedding length", metadata.embeddingLength.map(String.init)),
                    ("layers", metadata.blockCount.map(String.init)),
                    ("attention heads", metadata.headCount.map(String.init)),
                    ("tokenizer", metadata.tokenizer.map { "\($0), \(metadata.vocabularySize ?? 0) tokens" }),
                    ("capabilities", metadata.embeddingOnly ? "embedding" : "completion, embedding"),
                    ("chat template", metadata.embeddingOnly ? nil : template ?? Engine.fallbackTemplate(for: metadata.architecture)),
                    ("size on disk", formatBytes(Int64(metadata.fileSize))),
                    ("file", file.path),
                ]
                for case let (key, value?) in rows { print("  \(key.padding(toLength: 18, withPad: " ", startingAt: 0))\(value)") }
                if let profile {
                    print("\n  profile of \(profile.from)")
                    if let system = profile.system { print("    system          \(system)") }
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys]
                    let parameters = String(decoding: try encoder.encode(profile.parameters), as: UTF8.self)
                    if parameters != "{}" { print("    parameters      \(parameters)") }
                    if !profile.stop.isEmpty { print("    stop            \(profile.stop)") }
                    if let template = profile.template { print("    template        \(template)") }
                }
            } catch {
                throw fail(error)
            }
        }
    }
}
