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

    /// The greedy answer and the engine's counters after it, with prompt lookup on or off.
    static func answer(promptLookup: PromptLookupMode) async throws -> (String, ModelActivity) {
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
        // The loop counts a step once its tokens are handed over: read once it has stopped.
        await engine.shutdown()
        let activity = engine.activity
        return (text, activity)
    }

    @Test func aQuotingAnswerTakesFewerStepsAndReadsTheSame() async throws {
        let (guessed, with) = try await Self.answer(promptLookup: .always)
        let (plain, without) = try await Self.answer(promptLookup: .off)
        #expect(guessed == plain)
        #expect(plain.contains("green ledger"))
        // One step reads the prompt and one writes each token without guesses.
        #expect(with.decodeSteps < without.decodeSteps * 2 / 3, "\(with.decodeSteps) steps with guesses, \(without.decodeSteps) without")
        // The counters say so: most guessed tokens kept, each one a token written without a step of its own.
        #expect(with.draftTokensAccepted > with.draftTokens / 2, "\(with.draftTokensAccepted) of \(with.draftTokens) kept")
        #expect(with.draftTokensAccepted <= with.draftTokens)
        #expect(with.generatedTokens - with.draftTokensAccepted <= with.decodeSteps)
        #expect(without.draftTokens == 0 && without.draftTokensAccepted == 0 && without.draftCostRatio == nil)
    }
}
