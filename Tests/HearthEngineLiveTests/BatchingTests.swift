import Foundation
import HearthCore
import HearthTesting
import Synchronization
import Testing

@testable import HearthEngine

/// Continuous batching, prompt cache and queueing, on the real smollm2:135m.
@Suite(.serialized) struct BatchingTests {
    static func engine(parallel: Int, context: Int = 4096, queue: Int = 64) async throws -> Engine {
        try await Engine.load(
            path: try TestModels.smollm2,
            options: EngineOptions(parallel: parallel, contextPerSequence: context, threads: 2, maxQueue: queue))
    }

    static func text(_ engine: Engine, _ prompt: Prompt, _ params: GenerationParams) async throws -> String {
        var text = ""
        for try await event in engine.generate(prompt, params: params) {
            if case .text(let piece) = event { text += piece }
        }
        return text
    }

    static func user(_ text: String) -> Prompt { .chat([ChatMessage(role: .user, content: text)]) }

    @Test func greedyOutputIsTheSameAloneAndAmongSevenOthers() async throws {
        let engine = try await Self.engine(parallel: 8)
        let params = GenerationParams(maxTokens: 24, temperature: 0)
        let questions = [
            "Name three colors.", "What is 2+2?", "Write a haiku about the sea.", "Name a fruit.",
            "Say hello in French.", "What is the largest planet?", "Name an animal.", "Count to five.",
        ]
        var alone: [String] = []
        for question in questions { alone.append(try await Self.text(engine, Self.user(question), params)) }
        let together = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (index, question) in questions.enumerated() {
                group.addTask { (index, try await Self.text(engine, Self.user(question), params)) }
            }
            var results = Array(repeating: "", count: questions.count)
            for try await (index, text) in group { results[index] = text }
            return results
        }
        await engine.shutdown()
        #expect(together == alone)
    }

    /// Runs `work` while a greedy stream counts on in `engine`; returns what `work` returned
    /// and how many pieces the stream received meanwhile.
    static func whileAStreamRuns<T>(_ engine: Engine, maxTokens: Int, _ work: () async throws -> T) async throws -> (T, Int) {
        let received = Atomic<Int>(0)
        let running = engine.generate(.text("Count: 1, 2, 3,"), params: GenerationParams(maxTokens: maxTokens, temperature: 0))
        let consumer = Task {
            for try await event in running { if case .text = event { received.add(1, ordering: .relaxed) } }
        }
        defer { consumer.cancel() }
        try await Self.waitUntil { received.load(ordering: .relaxed) > 0 }  // the running stream has started
        let before = received.load(ordering: .relaxed)
        let result = try await work()
        return (result, received.load(ordering: .relaxed) - before)
    }

    @Test func aLongPromptDoesNotStopRunningStreams() async throws {
        let engine = try await Self.engine(parallel: 2)
        let long = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 200)  // ~2,000 tokens
        let (promptTokens, tokensMeanwhile) = try await Self.whileAStreamRuns(engine, maxTokens: 300) {
            var promptTokens = 0
            for try await event in engine.generate(.text(long), params: GenerationParams(maxTokens: 1, temperature: 0)) {
                if case .done(_, let usage) = event { promptTokens = usage.promptTokens }
            }
            return promptTokens
        }
        await engine.shutdown()
        #expect(promptTokens > 1_500)
        // The 2,000-token prompt is read in chunks of 512 with the running stream decoding in
        // each: it keeps receiving tokens instead of freezing until the prompt is done.
        #expect(tokensMeanwhile >= 3)
    }

    @Test func a256InputEmbeddingBatchDoesNotStopRunningStreams() async throws {
        let engine = try await Self.engine(parallel: 2)
        let inputs = (0..<256).map { "Lighthouse \($0)." }
        let (result, tokensMeanwhile) = try await Self.whileAStreamRuns(engine, maxTokens: 2_000) { try await engine.embed(inputs) }
        await engine.shutdown()
        #expect(result.vectors.count == 256)
        // Inline on the batch loop the stream would get no token until the 256 inputs were done;
        // in the embedding lane it keeps decoding beside them.
        #expect(tokensMeanwhile >= 20)
    }

    /// Polls `condition` every 10 ms for at most 30 s.
    /// Two models share the process's compute pool: while one streams, the other's long
    /// prompt goes in pieces of at most 128 tokens, so the stream waits a short turn, not a
    /// 512-token one.
    @Test func besideAnotherModelsStreamALongPromptGoesInSmallPieces() async throws {
        let streaming = try await Self.engine(parallel: 1, context: 4096)
        let prompted = try await Self.engine(parallel: 1, context: 2048)
        let long = String(repeating: "The keeper trimmed the lamp and wrote the weather in his ledger. ", count: 50)
        let (_, pieces) = try await Self.whileAStreamRuns(streaming, maxTokens: 3_000) {
            try await Self.text(prompted, .text(long), GenerationParams(maxTokens: 1, temperature: 0))
        }
        let activity = prompted.activity
        await streaming.shutdown()
        await prompted.shutdown()
        #expect(pieces > 0)
        #expect(activity.promptTokens > 512, "the prompt must be longer than one full step")
        let largest = ModelActivity.batchBuckets.firstIndex(of: BatchLoop.sharedBatchSize)!
        #expect(activity.batchSizeCounts[(largest + 1)...].allSatisfy { $0 == 0 }, "\(activity.batchSizeCounts)")
    }

    static func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test func aFullQueueIsRefusedAndACancelledRequestFreesItsSequence() async throws {
        let engine = try await Self.engine(parallel: 1, context: 1024, queue: 1)
        let running = Task { try await Self.text(engine, .text("Count: 1, 2, 3,"), GenerationParams(maxTokens: 900, temperature: 0)) }
        try await Self.waitUntil { engine.activity.activeSequences == 1 }
        let waiting = Task { try await Self.text(engine, Self.user("Say hi."), GenerationParams(maxTokens: 4, temperature: 0)) }
        try await Self.waitUntil { engine.activity.queuedRequests == 1 }
        let refused = await #expect(throws: HearthError.self) {
            _ = try await Self.text(engine, .text("Count: 7,"), GenerationParams(maxTokens: 2))
        }
        #expect(refused?.code == .queueFull)
        running.cancel()
        let answer = try await waiting.value
        let generated = engine.activity.generatedTokens
        await engine.shutdown()
        #expect(!answer.isEmpty)
        // The waiting request ran as soon as the first was cancelled, not after its 900 tokens.
        #expect(generated < 600)
        _ = try? await running.value
    }

    @Test func aSecondTurnReusesTheFirstTurnsCache() async throws {
        let engine = try await Self.engine(parallel: 2)
        let system = ChatMessage(role: .system, content: String(repeating: "You answer questions about lighthouses. ", count: 40))
        let question = ChatMessage(role: .user, content: "What does a lighthouse keeper do?")
        let params = GenerationParams(maxTokens: 16, temperature: 0)
        let answer = try await Self.text(engine, .chat([system, question]), params)
        let before = engine.activity
        _ = try await Self.text(
            engine, .chat([system, question, ChatMessage(role: .assistant, content: answer), ChatMessage(role: .user, content: "Why?")]),
            params)
        let after = engine.activity
        await engine.shutdown()
        let secondPrompt = after.promptTokens - before.promptTokens
        let reused = after.promptTokensCached - before.promptTokensCached
        // Everything up to the first answer is found in the cache; only the new turn is read.
        #expect(reused > 300)
        #expect(secondPrompt - reused < 40)
    }
}
