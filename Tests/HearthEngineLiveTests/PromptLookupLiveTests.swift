import Foundation
import HearthCore
import HearthTesting
import Testing

@testable import HearthEngine

/// Prompt lookup on the real smollm2:135m: an answer that quotes its prompt comes in fewer
/// decode steps, with the same greedy text. Guessing always (`.always`), so that the steps do
/// not depend on what guesses cost on the machine running the test.
@Suite(.serialized) struct PromptLookupLiveTests {
    static let sources = (1...12).map { "(\($0)) The keeper wrote entry number \($0) in the green ledger before dawn." }
        .joined(separator: " ")

    /// The greedy answer and the decode steps it took, with prompt lookup on or off.
    static func answer(promptLookup: PromptLookupMode) async throws -> (String, Int) {
        let engine = try await Engine.load(
            path: try TestModels.smollm2,
            options: EngineOptions(parallel: 1, contextPerSequence: 2048, threads: 2, promptLookup: promptLookup))
        let prompt = Prompt.chat([
            ChatMessage(role: .system, content: "Quote the sources exactly."),
            ChatMessage(role: .user, content: "Sources: \(sources)\n\nRepeat the sources word for word."),
        ])
        var text = ""
        for try await event in engine.generate(prompt, params: GenerationParams(maxTokens: 120, temperature: 0)) {
            if case .text(let piece) = event { text += piece }
        }
        let steps = engine.activity.decodeSteps
        await engine.shutdown()
        return (text, steps)
    }

    @Test func aQuotingAnswerTakesFewerStepsAndReadsTheSame() async throws {
        let (guessed, fewer) = try await Self.answer(promptLookup: .always)
        let (plain, steps) = try await Self.answer(promptLookup: .off)
        #expect(guessed == plain)
        #expect(plain.contains("green ledger"))
        // One step reads the prompt and one writes each token without guesses.
        #expect(fewer < steps * 2 / 3, "\(fewer) steps with guesses, \(steps) without")
    }
}
