import ArgumentParser
import Foundation

extension Hearth.Models {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a model's metadata (read from the file's header; weights are not loaded).",
            discussion: "Example:\n  hearth models show gemma3:270m")

        @Argument(help: "Model name (name:tag) or path to a .gguf file.")
        var model: String

        func run() async throws {
            do {
                let model = model
                let detail = try await Connection.run(try environmentConfiguration(), models: [model], load: false) {
                    try await $0.model(model)
                }
                let template = detail.templateFromFile ? "from the model (\(detail.template?.count ?? 0) characters)" : detail.template
                let rows: [(String, String?)] = [
                    ("name", detail.name),
                    ("architecture", detail.architecture),
                    ("parameters", formatCount(detail.parameters)),
                    ("quantization", detail.quantization),
                    ("context length", detail.contextLength.map(String.init)),
                    ("embedding length", detail.embeddingLength.map(String.init)),
                    ("layers", detail.layers.map(String.init)),
                    ("attention heads", detail.attentionHeads.map(String.init)),
                    ("tokenizer", detail.tokenizer.map { "\($0), \(detail.vocabularySize ?? 0) tokens" }),
                    ("capabilities", detail.capabilities.joined(separator: ", ")),
                    ("chat template", template),
                    ("size on disk", formatBytes(detail.size)),
                    ("digest", detail.digest),
                ]
                for case let (key, value?) in rows { print("  \(key.padding(toLength: 18, withPad: " ", startingAt: 0))\(value)") }
                if let profile = detail.profile {
                    print("\n  profile of \(profile.from)")
                    if let system = profile.system { print("    system          \(system)") }
                    for parameter in profile.parameters { print("    parameter       \(parameter)") }
                    if let template = profile.template { print("    template        \(template)") }
                }
            } catch {
                throw fail(error)
            }
        }
    }
}
