import ArgumentParser
import Foundation
import HearthCore
import HearthEngine
import HearthModels

/// Flags that shape one generation.
struct SamplingFlags: ParsableArguments {
    @Option(name: .long, help: "Sampling temperature; 0 is deterministic (default 0.8).")
    var temperature: Double?

    @Option(name: .long, help: "Random seed: the same seed and prompt give the same text.")
    var seed: UInt32?

    @Option(name: .customLong("max-tokens"), help: "Most tokens to generate (default: until the model stops).")
    var maxTokens: Int?

    @Option(name: .long, help: "A system prompt.")
    var system: String?

    var params: GenerationParams {
        GenerationParams(maxTokens: maxTokens, temperature: temperature, seed: seed)
    }

    func validate() throws {
        try params.validate()
    }
}

/// A model loaded in-process for `run` and `chat`, with its profile when it is one.
struct LocalModel {
    let engine: Engine
    let profile: Profile?

    /// Loads `model` (a store name, profile or path); a truncated or corrupt file is a clear error.
    init(_ model: String, _ flags: EngineFlags) async throws {
        let configuration = try flags.configuration()
        let store = ModelStore(root: configuration.paths.models)
        let file = try store.resolve(model)
        _ = try GGUFFile.read(file, arrayLimit: 0)
        profile = ModelStore.isPath(model) ? nil : try store.entry(model)?.profile
        engine = try await Engine.load(
            path: file.path,
            options: EngineOptions(parallel: 1, contextPerSequence: configuration.contextPerSequence, threads: configuration.threads))
    }
}

/// Streams a generation to standard output; returns the text.
func stream(_ model: LocalModel, _ prompt: Prompt, _ params: GenerationParams) async throws -> String {
    var request = GenerationRequest(model: "", prompt: prompt, params: params)
    model.profile?.apply(to: &request)
    var text = ""
    for try await event in model.engine.generate(request.prompt, params: request.params, template: request.template) {
        if case .text(let piece) = event {
            text += piece
            FileHandle.standardOutput.write(Data(piece.utf8))
        }
    }
    FileHandle.standardOutput.write(Data("\n".utf8))
    return text
}

extension Hearth {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Answer one prompt with a model, streaming the text.",
            discussion: """
                Examples:
                  hearth run smollm2:135m "Write a haiku about autumn."
                  hearth run ./my-model.gguf "Hello" --temperature 0 --max-tokens 50
                """)

        @Argument(help: "Model name (name:tag) or path to a .gguf file.")
        var model: String

        @Argument(help: "The prompt.")
        var prompt: String

        @OptionGroup var sampling: SamplingFlags
        @OptionGroup var engine: EngineFlags

        func run() async throws {
            do {
                let loaded = try await LocalModel(model, engine)
                var messages = [ChatMessage(role: .user, content: prompt)]
                if let system = sampling.system { messages.insert(ChatMessage(role: .system, content: system), at: 0) }
                _ = try await stream(loaded, .chat(messages), sampling.params)
                await loaded.engine.shutdown()
            } catch {
                throw fail(error)
            }
        }
    }
}
