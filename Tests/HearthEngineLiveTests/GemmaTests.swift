import Foundation
import HearthCore
import HearthTesting
import Testing

@testable import HearthEngine

/// `gemma3:270m` carries no chat template: Hearth must speak Gemma turns to it, not ChatML.
@Suite(.serialized) struct GemmaTests {
    @Test func smollmUsesItsOwnTemplate() async throws {
        let engine = try await Engine.load(
            path: try TestModels.smollm2, options: EngineOptions(parallel: 1, contextPerSequence: 256, threads: 2))
        #expect(engine.details.architecture == "llama")
        #expect(engine.details.chatTemplate.hasPrefix("the model's own"))
        #expect(engine.details.quantization == "Q4_1")
        #expect(!engine.details.embeddingOnly)
        await engine.shutdown()
    }

    @Test func smollmTemplateAddsItsDefaultSystemPrompt() async throws {
        let engine = try await Engine.load(
            path: try TestModels.smollm2, options: EngineOptions(parallel: 1, contextPerSequence: 256, threads: 2))
        // Identical output with and without the explicit default system prompt proves it is added.
        func answer(_ messages: [ChatMessage]) async throws -> String {
            var text = ""
            for try await event in engine.generate(.chat(messages), params: GenerationParams(maxTokens: 12, temperature: 0)) {
                if case .text(let piece) = event { text += piece }
            }
            return text
        }
        let implicit = try await answer([ChatMessage(role: .user, content: "Who are you?")])
        let explicit = try await answer([
            ChatMessage(role: .system, content: "You are a helpful AI assistant named SmolLM, trained by Hugging Face"),
            ChatMessage(role: .user, content: "Who are you?"),
        ])
        await engine.shutdown()
        #expect(implicit == explicit)
    }

    @Test func gemmaAnswersWithoutChatMLTokens() async throws {
        let engine = try await Engine.load(
            path: try TestModels.gemma3, options: EngineOptions(parallel: 1, contextPerSequence: 512, threads: 2))
        var text = ""
        var reason: FinishReason?
        for try await event in engine.generate(
            .chat([ChatMessage(role: .user, content: "Write one sentence about the sea.")]),
            params: GenerationParams(maxTokens: 40, temperature: 0))
        {
            switch event {
            case .text(let piece): text += piece
            case .done(let why, _): reason = why
            case .toolCall: Issue.record("no tools were offered")
            }
        }
        await engine.shutdown()
        #expect(reason != nil)
        #expect(!text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        for marker in ["<|im_start|>", "<|im_end|>", "im_start", "<start_of_turn>", "<end_of_turn>"] {
            #expect(!text.contains(marker))
        }
    }
}
