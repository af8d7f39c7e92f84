import ArgumentParser
import HearthModels

extension Hearth.Models {
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cp", abstract: "Give an installed model another name (the file is shared, not copied).",
            discussion: "Example:\n  hearth models cp smollm2:135m assistant:latest")

        @Argument(help: "Installed model.") var source: String
        @Argument(help: "New name (name:tag).") var destination: String

        func run() async throws {
            do {
                try modelStore().copy(source, to: destination)
                print("copied \(ModelStore.canonical(source)) to \(ModelStore.canonical(destination))")
            } catch { throw fail(error) }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm", abstract: "Remove installed models (a file still used by another name is kept).",
            discussion: "Example:\n  hearth models rm assistant:latest")

        @Argument(help: "Installed models.") var models: [String]

        func validate() throws {
            if models.isEmpty { throw ValidationError("name at least one model to remove") }
        }

        func run() async throws {
            do {
                let store = try modelStore()
                for model in models {
                    let freed = try store.remove(model)
                    print("deleted \(ModelStore.canonical(model))" + (freed > 0 ? " (freed \(formatBytes(freed)))" : ""))
                }
            } catch { throw fail(error) }
        }
    }
}
