import Foundation
import HearthCore
import HearthTesting
import Testing

@testable import HearthEngine

/// Runs the real `smollm2:135m` through the engine. One engine is shared by the suite.
@Suite(.serialized) struct EngineTests {
    static let engine = Task {
        try await Engine.load(path: try TestModels.smollm2, options: EngineOptions(parallel: 4, contextPerSequence: 512, threads: 2))
    }

    func collect(_ prompt: Prompt, _ params: GenerationParams) async throws -> (text: String, reason: FinishReason, usage: Usage) {
        var text = ""
        for try await event in try await Self.engine.value.generate(prompt, params: params) {
            switch event {
            case .text(let piece): text += piece
            case .done(let reason, let usage): return (text, reason, usage)
            case .toolCall: Issue.record("no tools were offered")
            }
        }
        Issue.record("stream ended without .done")
        return (text, .stop, Usage(promptTokens: 0, completionTokens: 0))
    }

    static let question = Prompt.chat([ChatMessage(role: .user, content: "Name three colors.")])

    @Test func answersAChatQuestionSensibly() async throws {
        let result = try await collect(Self.question, GenerationParams(maxTokens: 40, temperature: 0))
        #expect(["Red", "Blue", "Green"].allSatisfy(result.text.contains))
        #expect(result.usage.promptTokens > 5)
        #expect(result.usage.completionTokens > 0)
    }

    @Test func sameSeedGivesSameText() async throws {
        let params = GenerationParams(maxTokens: 24, temperature: 1.0, seed: 42)
        let first = try await collect(Self.question, params)
        let second = try await collect(Self.question, params)
        #expect(first.text == second.text)
        var other = params
        other.seed = 7
        let differentSeeds = try await [
            collect(Self.question, other).text, collect(Self.question, GenerationParams(maxTokens: 24, temperature: 1.0, seed: 1234)).text,
        ]
        #expect(differentSeeds.contains { $0 != first.text })
    }

    @Test func maxTokensEndsWithLength() async throws {
        let result = try await collect(.text("Once upon a time"), GenerationParams(maxTokens: 5, temperature: 0))
        #expect(result.reason == .length)
        #expect(result.usage.completionTokens == 5)
    }

    @Test func stopStringEndsTheTextBeforeIt() async throws {
        let free = try await collect(.text("1, 2, 3, 4, 5, 6,"), GenerationParams(maxTokens: 12, temperature: 0))
        #expect(free.text.contains("8"))
        let stopped = try await collect(.text("1, 2, 3, 4, 5, 6,"), GenerationParams(maxTokens: 12, temperature: 0, stop: ["8"]))
        #expect(stopped.reason == .stop)
        #expect(!stopped.text.contains("8"))
        #expect(free.text.hasPrefix(stopped.text))
    }

    @Test func fourConcurrentRequestsAllMatchTheirSoloAnswers() async throws {
        let prompts = ["Name a color.", "What is 2+2?", "Say hello in French.", "Name a fruit."].map {
            Prompt.chat([ChatMessage(role: .user, content: $0)])
        }
        let params = GenerationParams(maxTokens: 16, temperature: 0)
        var solo: [String] = []
        for prompt in prompts { solo.append(try await collect(prompt, params).text) }
        let together = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (index, prompt) in prompts.enumerated() {
                group.addTask { (index, try await collect(prompt, params).text) }
            }
            var results = Array(repeating: "", count: prompts.count)
            for try await (index, text) in group { results[index] = text }
            return results
        }
        #expect(together.allSatisfy { !$0.isEmpty })
        #expect(Set(together).count > 1)
        // Batched arithmetic may differ in the last bits; the opening words must agree.
        for (alone, batched) in zip(solo, together) {
            #expect(alone.prefix(8) == batched.prefix(8))
        }
    }

    @Test func cancellingTheConsumerFreesTheSequence() async throws {
        let engine = try await Self.engine.value
        let generatedBefore = engine.activity.generatedTokens
        let consumer = Task {
            for try await _ in engine.generate(.text("Count forever: 1, 2, 3,"), params: GenerationParams(maxTokens: 400, temperature: 0)) {
            }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while engine.activity.activeSequences == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(200))
        consumer.cancel()
        _ = try? await consumer.value
        while engine.activity.activeSequences != 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        // The sequence is free again long before its 400 tokens would have been generated.
        #expect(engine.activity.activeSequences == 0)
        #expect(engine.activity.generatedTokens - generatedBefore < 300)
    }

    @Test func promptLongerThanTheContextIsATypedError() async throws {
        let long = String(repeating: "word ", count: 2000)
        let error = await #expect(throws: HearthError.self) {
            _ = try await collect(.text(long), GenerationParams(maxTokens: 4))
        }
        #expect(error?.code == .contextLengthExceeded)
    }

    @Test func embeddingsHaveTheModelsWidthAndAreStable() async throws {
        let engine = try await Self.engine.value
        let first = try await engine.embed(["The cat sat on the mat.", "Quantum chromodynamics"])
        let again = try await engine.embed(["The cat sat on the mat."])
        #expect(first.vectors.count == 2)
        #expect(first.vectors[0].count == engine.details.embeddingLength)
        let norm = first.vectors[0].reduce(0) { $0 + $1 * $1 }
        #expect(abs(norm - 1) < 1e-3)
        let same = zip(first.vectors[0], again.vectors[0]).reduce(0) { $0 + $1.0 * $1.1 }
        let different = zip(first.vectors[0], first.vectors[1]).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(same > 0.9999)
        #expect(different < same)
    }

    @Test func anImportedEncoderEmbedsSensiblyAndRefusesToGenerate() async throws {
        let engine = try await Engine.load(
            path: try TestModels.allMiniLM, options: EngineOptions(parallel: 1, contextPerSequence: 512, threads: 2))
        #expect(engine.details.embeddingOnly)
        let result = try await engine.embed(["A man is eating food.", "A man is eating a piece of bread.", "The new movie is awesome."])
        #expect(result.vectors.map(\.count) == [384, 384, 384])
        func cosine(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(cosine(result.vectors[0], result.vectors[1]) > 0.7)
        #expect(cosine(result.vectors[0], result.vectors[2]) < 0.1)
        var failure: HearthError?
        do {
            for try await _ in engine.generate(.text("Hello")) {}
        } catch let error as HearthError {
            failure = error
        }
        #expect(failure?.code == .invalidRequest)
        await engine.shutdown()
    }

    @Test func aGrammarMakesEvenTheTinyModelAnswerInJSON() async throws {
        let grammar = #"""
            root ::= "{" ws "\"command\"" ws ":" ws string "," ws "\"explanation\"" ws ":" ws string "}" ws
            string ::= "\"" ( [^"\\\x7F\x00-\x1F] | "\\" ["\\/bfnrt] )* "\"" ws
            ws ::= " "?
            """#
        let prompt = Prompt.chat([
            ChatMessage(role: .system, content: "Answer with a JSON object with a shell command and an explanation."),
            ChatMessage(role: .user, content: "list files in this directory"),
        ])
        var params = GenerationParams(maxTokens: 120, temperature: 0)
        params.grammar = grammar
        let result = try await collect(prompt, params)
        #expect(result.reason == .stop)
        let object = try JSONSerialization.jsonObject(with: Data(result.text.utf8)) as? [String: String]
        #expect(object?["command"]?.isEmpty == false)
        #expect(object?["explanation"] != nil)

        params.grammar = "root ::= nothing-defined"
        await #expect(throws: HearthError.self) { _ = try await collect(prompt, params) }
    }

    @Test func aTemplateNameReplacesTheModelsTemplate() async throws {
        let engine = try await Self.engine.value
        func promptTokens(_ template: String?) async throws -> Int {
            for try await event in engine.generate(
                Self.question, params: GenerationParams(maxTokens: 1, temperature: 0), template: template)
            {
                if case .done(_, let usage) = event { return usage.promptTokens }
            }
            return 0
        }
        // SmolLM2's own template is ChatML plus its default system prompt; a named one has no such prompt.
        let own = try await promptTokens(nil)
        let chatml = try await promptTokens("chatml")
        let gemma = try await promptTokens("gemma")
        #expect(chatml > 5 && chatml < own)
        #expect(gemma > 5 && gemma != own && gemma != chatml)
    }
}
