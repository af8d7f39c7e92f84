import ArgumentParser
import Foundation
import HearthCore
import HearthModels

extension Hearth.Models {
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert a Hugging Face safetensors folder to GGUF and install it (BERT encoders, Llama decoders).",
            discussion: """
                The folder needs config.json, tokenizer.json and model.safetensors (or shards), as
                downloaded from Hugging Face. The conversion is native: no Python or PyTorch.
                Supported: BertModel (sentence-embedding encoders) and LlamaForCausalLM with a
                byte-level BPE tokenizer (SmolLM, Llama 3 style), in f16 or q8_0.

                Example:
                  hearth models import ./all-MiniLM-L6-v2 --name all-minilm:l6-v2
                """)

        @Argument(help: "Hugging Face model folder.") var directory: String
        @Option(help: "Name to install it as (name:tag).") var name: String
        @Option(help: "Weight type of the matrices: f16 or q8_0.") var type: String = "f16"

        func validate() throws {
            guard ModelImporter.Precision(rawValue: type) != nil else { throw ValidationError("--type must be f16 or q8_0") }
            guard !ModelStore.isPath(name) else { throw ValidationError("--name must be a model name such as all-minilm:l6-v2") }
            do { _ = try ModelStore.validParts(name) } catch let error as HearthError { throw ValidationError("--name: \(error.message)") }
        }

        func run() async throws {
            let store: ModelStore
            let scratch: URL
            do {
                store = try modelStore()
                scratch = try store.scratchFile("import")
            } catch { throw fail(error) }
            defer { try? FileManager.default.removeItem(at: scratch) }
            do {
                let source = URL(filePath: (directory as NSString).expandingTildeInPath)
                let bar = ProgressBar("converting \(name)", total: 0, unit: .items("tensors"))
                try ModelImporter.convert(source, to: scratch, name: name, precision: ModelImporter.Precision(rawValue: type)!) {
                    bar.update(Int64($0), total: Int64($1))
                }
                let metadata = try ModelMetadata.read(scratch)
                let entry = try store.install(scratch, as: name, description: "imported from \(source.lastPathComponent) (\(type))")
                bar.finish(
                    "→ \(entry.name): \(metadata.architecture), \(formatCount(metadata.parameters)) parameters, \(metadata.quantization), \(formatBytes(entry.size))"
                )
            } catch { throw fail(error) }
        }
    }
}
