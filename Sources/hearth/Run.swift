import ArgumentParser
import Foundation
import HearthClient
import HearthCore
import HearthWire

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

    /// A chat request for `messages` (after the system prompt, when there is one) with these flags.
    func request(model: String, _ messages: [ChatMessage]) -> OpenAI.ChatCompletionRequest {
        let system = self.system.map { [ChatMessage(role: .system, content: $0)] } ?? []
        var request = OpenAI.ChatCompletionRequest(model: model, messages: (system + messages).map(OpenAI.Message.init))
        request.temperature = temperature
        request.seed = seed.map(Int64.init)
        request.maxTokens = maxTokens
        return request
    }
}

/// Streams a chat answer to standard output; returns the text.
func stream(_ client: HearthClient, _ request: OpenAI.ChatCompletionRequest) async throws -> String {
    var text = ""
    for try await piece in client.streamChat(request) {
        text += piece
        FileHandle.standardOutput.write(Data(piece.utf8))
    }
    FileHandle.standardOutput.write(Data("\n".utf8))
    return text
}

extension Hearth {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Answer one prompt with a model, streaming the text.",
            discussion: """
                Asks the server at HEARTH_HOST when one runs; otherwise loads the model in this
                process (a .gguf path always is).

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
                let request = sampling.request(model: model, [ChatMessage(role: .user, content: prompt)])
                _ = try await Connection.run(try engine.configuration(), models: [model]) { try await stream($0, request) }
            } catch {
                throw fail(error)
            }
        }
    }
}
