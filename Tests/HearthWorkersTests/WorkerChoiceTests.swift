import Foundation
import HearthCore
import Testing

@testable import HearthWorkers

/// The wire forms, the prefix keys and where a request goes: plain values, without NATS.
struct WorkerChoiceTests {
    static func chat(_ texts: [String], model: String = "smollm2:135m") -> GenerationRequest {
        GenerationRequest(
            model: model,
            prompt: .chat(texts.enumerated().map { ChatMessage(role: $0.offset % 2 == 0 ? .user : .assistant, content: $0.element) }))
    }

    @Test func modelNamesAreOneSubjectTokenEach() {
        #expect(WorkerSubjects.token("smollm2:135m") == "smollm2:135m")
        #expect(WorkerSubjects.token("qwen2.5:0.5b") == "qwen2~2e5:0~2e5b")
        #expect(WorkerSubjects.token("a b>*") == "a~20b~3e~2a")
        #expect(WorkerSubjects.token("") == "~")
        #expect(WorkerSubjects.model("qwen2.5:0.5b") == "hearth.work.qwen2~2e5:0~2e5b")
        // Different names never share a subject.
        #expect(WorkerSubjects.token("a.b") != WorkerSubjects.token("a~2eb"))
    }

    @Test func requestsAndEventsCrossTheWireWhole() throws {
        var request = Self.chat(["What is 2+2?"])
        request.params = GenerationParams(maxTokens: 9, temperature: 0, seed: 4, stop: ["\n"])
        request.tools = ToolUse(
            tools: [Tool(name: "add", description: "adds", parameters: #"{"type":"object"}"#)], choice: .function("add"))
        request.template = "chatml"
        let work = WorkRequest.generate(request)
        #expect(try JSONDecoder().decode(WorkRequest.self, from: JSONEncoder().encode(work)) == work)
        let events: [WorkEvent] = [
            .accepted(worker: "w1"), .alive, .token(.text("Hi")), .token(.toolCall(ToolCall(id: "c", name: "add", arguments: "{}"))),
            .token(.done(.length, Usage(promptTokens: 3, completionTokens: 9))),
            .failed(WireError(HearthError(.queueFull, "busy", retryAfter: 2))), .tokens(12),
            .embedded(vectors: [[0.5, -1]], promptTokens: 2),
        ]
        for event in events { #expect(try WorkEvent(wire: event.wire) == event) }
        #expect(WorkEvent.token(.text("é!")).wire == Array("té!".utf8))
        #expect(try WorkEvent(wire: Array("t".utf8)) == .token(.text("")))
        #expect(throws: DecodingError.self) { try WorkEvent(wire: Array("nonsense".utf8)) }
        let error = WireError(HearthError(.queueFull, "busy", field: "model", detail: "secret path", retryAfter: 2)).error
        #expect(error.code == .queueFull && error.message == "busy" && error.retryAfter == 2 && error.detail == nil)
    }

    @Test func theNextTurnStartsWithThePrefixesTheLastLeft() {
        let first = Self.chat(["Hello", "Hi! How can I help?", "Name a colour."])
        let held = Set(PrefixKeys.after(first, answer: "Blue.", calls: []))
        let next = Self.chat(["Hello", "Hi! How can I help?", "Name a colour.", "Blue.", "Another?"])
        let prefixes = PrefixKeys.of(next)
        #expect(prefixes.count == 5)
        #expect(PrefixKeys.matched(prefixes, in: held) == prefixes[3].bytes)
        // Another model or another template hold nothing of it.
        #expect(PrefixKeys.matched(PrefixKeys.of(Self.chat(["Hello"], model: "gemma3:270m")), in: held) == 0)
        // Another answer shares only what came before it.
        let other = PrefixKeys.of(Self.chat(["Hello", "Hi! How can I help?", "Name a colour.", "Red."]))
        #expect(PrefixKeys.matched(other, in: held) == other[2].bytes)
        var templated = next
        templated.template = "chatml"
        #expect(PrefixKeys.matched(PrefixKeys.of(templated), in: held) == 0)
        // A raw prompt's prefixes end every 256 bytes.
        let text = String(repeating: "abcd", count: 200)
        let raw = GenerationRequest(model: "m", prompt: .text(text))
        #expect(PrefixKeys.of(raw).map(\.bytes) == [256, 512, 768])
        let longer = GenerationRequest(model: "m", prompt: .text(text + "more"))
        #expect(PrefixKeys.matched(PrefixKeys.of(longer), in: Set(PrefixKeys.of(raw).map(\.key))) == 768)
    }

    @Test func aRequestGoesToTheFreeWorkerHoldingItsLongestPrefix() {
        var random = SystemRandomNumberGenerator()
        let request = Self.chat(["Hello", "Hi", "More"])
        let prefixes = PrefixKeys.of(request)
        let some = Set([prefixes[0].key])
        let most = Set(prefixes.prefix(2).map(\.key))
        let workers = [
            WorkerRegistry.Candidate(worker: "a", slots: 2, busy: 0),
            WorkerRegistry.Candidate(worker: "b", slots: 2, busy: 1, prefixes: most),
            WorkerRegistry.Candidate(worker: "c", slots: 2, busy: 0, prefixes: some),
        ]
        for _ in 0..<20 {
            #expect(WorkerRegistry.choose(among: workers, for: prefixes, using: &random)?.worker == "b")
            #expect(WorkerRegistry.choose(among: workers, for: prefixes, excluding: ["b"], using: &random)?.worker == "c")
        }
        // A holder with no free sequence loses to a free worker; without prefixes the least busy wins.
        var full = workers
        full[1].busy = 2
        for _ in 0..<20 {
            #expect(WorkerRegistry.choose(among: full, for: prefixes, using: &random)?.worker == "c")
            #expect(WorkerRegistry.choose(among: full, for: [], using: &random)?.worker != "b")
        }
        let busy = [
            WorkerRegistry.Candidate(worker: "a", slots: 2, busy: 5),
            WorkerRegistry.Candidate(worker: "b", slots: 4, busy: 5, prefixes: most),
        ]
        #expect(WorkerRegistry.choose(among: busy, for: prefixes, using: &random)?.worker == "b")
        #expect(WorkerRegistry.choose(among: busy, for: prefixes, excluding: ["a", "b"], using: &random) == nil)
        // Equals share the work.
        let equals = (0..<4).map { WorkerRegistry.Candidate(worker: "\($0)", slots: 1, busy: 0) }
        let chosen = Set((0..<100).compactMap { _ in WorkerRegistry.choose(among: equals, for: prefixes, using: &random)?.worker })
        #expect(chosen.count > 1)
    }

    @Test func theRegistryForgetsWorkersThatFallSilentOrLeave() {
        let registry = WorkerRegistry(forgetAfter: .seconds(3))
        let start = ContinuousClock.now
        let model = Announcement.Model(name: "m", slots: 4, busy: 1, prefixes: [7])
        registry.heard(Announcement(worker: "a", models: [model]), at: start)
        registry.heard(Announcement(worker: "b", models: [model]), at: start + .seconds(2))
        #expect(registry.candidates(for: "m", at: start + .seconds(1)).map(\.worker) == ["a", "b"])
        #expect(registry.candidates(for: "other", at: start).isEmpty)
        #expect(registry.candidates(for: "m", at: start + .seconds(4)).map(\.worker) == ["b"])
        #expect(registry.models(at: start + .seconds(4)) == ["m"])
        // Busy: what this gateway has running there now, and what others had when it last
        // announced (its one request was another gateway's).
        for _ in 0..<3 { registry.started("b", model: "m") }
        #expect(registry.candidates(for: "m", at: start + .seconds(4)).first?.busy == 4)
        // Now it says 3, all this gateway's: a stale count is not taken for others'.
        var three = model
        three.busy = 3
        registry.heard(Announcement(worker: "b", models: [three]), at: start + .seconds(3))
        #expect(registry.candidates(for: "m", at: start + .seconds(4)).first?.busy == 3)
        registry.ended("b", model: "m")
        #expect(registry.candidates(for: "m", at: start + .seconds(4)).first?.busy == 2)
        #expect(registry.candidates(for: "m", at: start + .seconds(4)).first?.prefixes == [7])
        registry.heard(Announcement(worker: "b", models: [model], leaving: true), at: start + .seconds(4))
        #expect(registry.candidates(for: "m", at: start + .seconds(4)).isEmpty)
        registry.heard(Announcement(worker: "a", models: [model]), at: start + .seconds(5))
        registry.forget("a")
        #expect(registry.models(at: start + .seconds(5)).isEmpty)
    }

    @Test func whatAGatewayRelayedCountsAtOnceAsHeldByThatWorker() {
        let registry = WorkerRegistry()
        registry.heard(Announcement(worker: "a", models: [Announcement.Model(name: "m", slots: 2, busy: 0, prefixes: [1])]))
        // Before the worker's next announcement: the answers relayed, as many as it has sequences.
        for keys: [UInt64] in [[10, 11], [20], [30]] { registry.relayed("a", model: "m", keys: keys) }
        #expect(registry.candidates(for: "m").first?.prefixes == [1, 20, 30])
        registry.forget("a")
        registry.heard(Announcement(worker: "a", models: [Announcement.Model(name: "m", slots: 2, busy: 0, prefixes: [])]))
        #expect(registry.candidates(for: "m").first?.prefixes == [])
    }
}
