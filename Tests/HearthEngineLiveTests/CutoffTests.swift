import Foundation
import HearthCore
import HearthTesting
import Testing

@testable import HearthEngine

/// What an engine does when the server shuts down: running answers end after the grace,
/// with an error, and nothing new starts. Its own engine: a cut engine stays cut.
@Suite struct CutoffTests {
    @Test func runningAnswersAreCutShortAndNothingNewStarts() async throws {
        let engine = try await Engine.load(
            path: try TestModels.smollm2, options: EngineOptions(parallel: 2, contextPerSequence: 4096, threads: 2))
        let counting = engine.generate(.text("Count: 1, 2, 3,"), params: GenerationParams(maxTokens: 3_000, temperature: 0))
        var pieces = 0
        var failure: HearthError?
        do {
            for try await event in counting {
                guard case .text = event else { continue }
                pieces += 1
                if pieces == 5 { engine.cutShort(after: .milliseconds(200)) }
            }
        } catch let error as HearthError {
            failure = error
        }
        // Left alone it would have counted for 3,000 tokens and ended with `.done`.
        #expect(failure?.code == .unavailable)
        #expect(pieces >= 5 && pieces < 3_000)

        var refused: HearthError?
        do {
            for try await _ in engine.generate(.text("Hello"), params: GenerationParams(maxTokens: 5)) {}
        } catch let error as HearthError {
            refused = error
        }
        #expect(refused?.code == .unavailable)
        var embedding: HearthError?
        do { _ = try await engine.embed(["hello"]) } catch let error as HearthError { embedding = error }
        #expect(embedding?.code == .unavailable)
        await engine.shutdown()
    }
}
