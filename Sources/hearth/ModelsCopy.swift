import ArgumentParser

extension Hearth.Models {
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cp", abstract: "Give an installed model another name (the file is shared, not copied).",
            discussion: "Example:\n  hearth models cp smollm2:135m assistant:latest")

        @Argument(help: "Installed model.") var source: String
        @Argument(help: "New name (name:tag).") var destination: String

        func run() async throws {
            do {
                let (source, destination) = (source, destination)
                let copied = try await Connection.run(try environmentConfiguration()) { try await $0.copyModel(source, to: destination) }
                print("copied \(source) to \(copied.name)")
            } catch { throw fail(error) }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm", abstract: "Remove installed models (a file still used by another name is kept).",
            discussion: """
                A running server unloads the model first.

                Example:
                  hearth models rm assistant:latest
                """)

        @Argument(help: "Installed models.") var models: [String]

        func validate() throws {
            if models.isEmpty { throw ValidationError("name at least one model to remove") }
        }

        func run() async throws {
            do {
                let models = models
                try await Connection.run(try environmentConfiguration()) { client in
                    for model in models {
                        let deleted = try await client.deleteModel(model)
                        let freed = deleted.freedBytes ?? 0
                        print("deleted \(deleted.name)" + (freed > 0 ? " (freed \(formatBytes(freed)))" : ""))
                    }
                }
            } catch { throw fail(error) }
        }
    }
}
