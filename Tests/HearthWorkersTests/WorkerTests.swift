import Foundation
import HearthCore
import HearthNATS
import HearthTesting
import Logging
import Synchronization
import Testing

@testable import HearthWorkers

/// A provider whose generations follow a script, for the workers around it: pieces of text,
/// a wait that lasts until cancelled, a failure.
final class StepProvider: InferenceProvider {
    enum Step: Sendable {
        case text(String)
        case pause(Duration)
        case hang
        case fail(HearthError)
    }

    let name = "steps"
    let model: String
    let script: @Sendable (Int) -> [Step]
    private let counts = Mutex((received: 0, cancelled: 0))

    init(model: String, script: @escaping @Sendable (Int) -> [Step]) {
        self.model = model
        self.script = script
    }

    var received: Int { counts.withLock { $0.received } }
    var cancelled: Int { counts.withLock { $0.cancelled } }

    func models() async throws -> [ModelInfo] { [ModelInfo(id: model, provider: name, created: 0)] }
    func loadedModels() async -> [LoadedModel] { [] }
    func serves(_ model: String) async -> Bool { model == self.model }
    func preload(_ model: String, keepAlive: TimeInterval?) async throws {}
    func unload(_ model: String) async -> Bool { false }

    func embed(_ request: EmbeddingRequest) async throws -> EmbeddingResult {
        EmbeddingResult(vectors: request.inputs.map { [Float($0.count), 1] }, promptTokens: request.inputs.count)
    }

    func generate(_ request: GenerationRequest) async throws -> AsyncThrowingStream<TokenEvent, any Error> {
        let steps = script(
            counts.withLock { counts in
                defer { counts.received += 1 }
                return counts.received
            })
        let (stream, continuation) = AsyncThrowingStream<TokenEvent, any Error>.makeStream()
        let task = Task {
            var count = 0
            for step in steps {
                switch step {
                case .text(let piece):
                    continuation.yield(.text(piece))
                    count += 1
                case .pause(let duration):
                    try? await Task.sleep(for: duration)
                case .hang:
                    do {
                        try await Task.sleep(for: .seconds(60))
                    } catch {
                        counts.withLock { $0.cancelled += 1 }
                        continuation.finish(throwing: error)
                        return
                    }
                case .fail(let error):
                    continuation.finish(throwing: error)
                    return
                }
            }
            continuation.yield(.done(.stop, Usage(promptTokens: 3, completionTokens: count)))
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

/// Workers and a gateway's worker provider on a real nats-server of their own. One test at a
/// time, and a silence of 5 s before a worker counts as gone, so that a loaded machine (the
/// whole suite at once, speech models included) is not taken for dead workers.
@Suite(.serialized, .enabled(if: TestNATS.isInstalled, "nats-server is not installed: run `make nats`"))
struct WorkerTests {
    static let model = "steps:test"

    /// A worker `id` serving `provider` (one sequence per model unless said), running until
    /// its connection is closed.
    struct Running {
        let worker: Worker
        let nats: NATSClient
        let task: Task<Void, Never>

        /// As a `kill -9` looks from outside: nothing more comes from it (its connection is
        /// closed first, so that not even a goodbye goes out); what it was generating ends.
        func kill() async {
            task.cancel()
            nats.close()
            await worker.stop(grace: .zero)
        }
    }

    static func start(_ id: String, _ provider: StepProvider, url: String, slots: Int = 1) async throws -> Running {
        let nats = try await NATSClient.connect(to: url)
        let worker = Worker(
            id: id, nats: nats, provider: provider, models: [Worker.Model(name: model, slots: slots)], logger: Logger(label: "test"),
            aliveEvery: .milliseconds(100))
        let task = Task { await worker.run() }
        return Running(worker: worker, nats: nats, task: task)
    }

    /// A gateway's worker provider; `close()` ends its connection (a test leaves none behind).
    static func gateway(url: String) async throws -> (WorkerProvider, close: @Sendable () -> Void) {
        let nats = try await NATSClient.connect(to: url)
        return (WorkerProvider(nats: nats, silence: .seconds(5), logger: Logger(label: "test")), nats.close)
    }

    static func collect(_ gateway: WorkerProvider, _ request: GenerationRequest, choice: RoutingChoice = RoutingChoice()) async throws
        -> [TokenEvent]
    {
        try await RoutingChoice.$current.withValue(choice) {
            var events: [TokenEvent] = []
            for try await event in try await gateway.generate(request) { events.append(event) }
            return events
        }
    }

    static func until(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(90)
        while !condition() {
            try #require(ContinuousClock.now < deadline, "waited 90 s")
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    static func chat(_ texts: [String]) -> GenerationRequest { WorkerChoiceTests.chat(texts, model: model) }

    @Test func aGatewayStreamsAWorkersAnswer() async throws {
        let (url, stop) = try await TestNATS.start()
        defer { Task { await stop() } }
        let provider = StepProvider(model: Self.model) { _ in [.text("Hel"), .text("lo")] }
        let worker = try await Self.start("w1", provider, url: url)
        defer { Task { await worker.kill() } }
        let (gateway, closeGateway) = try await Self.gateway(url: url)
        defer { closeGateway() }
        try await Self.until { !gateway.registry.candidates(for: Self.model).isEmpty }
        #expect(await gateway.serves(Self.model))
        #expect(try await gateway.models().map(\.id) == [Self.model])
        #expect(await gateway.loadedModels().map(\.provider) == ["worker:w1"])
        let choice = RoutingChoice()
        let events = try await Self.collect(gateway, Self.chat(["Hi"]), choice: choice)
        #expect(events == [.text("Hel"), .text("lo"), .done(.stop, Usage(promptTokens: 3, completionTokens: 2))])
        #expect(choice.provider == "worker:w1")
        #expect(try await gateway.promptTokens(Self.chat(["Hello"])) == 5 + 8 + 8)
        let embedded = try await gateway.embed(EmbeddingRequest(model: Self.model, inputs: ["abc", "de"]))
        #expect(embedded.vectors == [[3, 1], [2, 1]])
        // A model no worker serves is not served; a worker's failure reaches the client as it is.
        #expect(!(await gateway.serves("other:model")))
        do {
            _ = try await gateway.embed(EmbeddingRequest(model: "other:model", inputs: ["x"]))
            Issue.record("no worker serves other:model")
        } catch let error as HearthError {
            #expect(error.code == .unavailable)
        }
    }

    @Test func aConversationGoesBackToItsWorkerAndMovesOnWhenThatWorkerDies() async throws {
        let (url, stop) = try await TestNATS.start()
        defer { Task { await stop() } }
        // The first worker answers the first turn, then never answers again.
        let first = StepProvider(model: Self.model) { turn in turn == 0 ? [.text("Blue.")] : [.hang] }
        let a = try await Self.start("a", first, url: url, slots: 2)
        defer { Task { await a.kill() } }
        let (gateway, closeGateway) = try await Self.gateway(url: url)
        defer { closeGateway() }
        let choice = RoutingChoice()
        #expect(try await Self.collect(gateway, Self.chat(["Name a colour."]), choice: choice).first == .text("Blue."))
        #expect(choice.provider == "worker:a")
        let second = StepProvider(model: Self.model) { _ in [.text("Red.")] }
        let b = try await Self.start("b", second, url: url, slots: 2)
        defer { Task { await b.kill() } }
        try await Self.until {
            let known = gateway.registry.candidates(for: Self.model)
            return known.count == 2 && known.contains { $0.worker == "a" && !$0.prefixes.isEmpty }
        }
        // The next turn goes to the worker that holds the conversation, though both are idle.
        let next = Self.chat(["Name a colour.", "Blue.", "Another?"])
        let retried = RoutingChoice()
        let answering = Task { try await Self.collect(gateway, next, choice: retried) }
        try await Self.until { first.received == 2 }
        #expect(second.received == 0)
        // It dies before its first token: the request moves to the other worker, unseen.
        await a.kill()
        #expect(try await answering.value.first == .text("Red."))
        #expect(retried.provider == "worker:b")
        #expect(retried.failures.map(\.provider) == ["worker:a"])
        #expect(gateway.registry.candidates(for: Self.model).map(\.worker) == ["b"])
    }

    @Test func aWorkerThatDiesMidAnswerEndsTheStreamWithAClearError() async throws {
        let (url, stop) = try await TestNATS.start()
        defer { Task { await stop() } }
        let provider = StepProvider(model: Self.model) { _ in [.text("Once"), .text(" upon"), .hang] }
        let worker = try await Self.start("w", provider, url: url)
        let spare = try await Self.start("spare", StepProvider(model: Self.model) { _ in [.text("Other")] }, url: url)
        defer { Task { await spare.kill() } }
        let (gateway, closeGateway) = try await Self.gateway(url: url)
        defer { closeGateway() }
        try await Self.until { gateway.registry.candidates(for: Self.model).count == 2 }
        // The spare is busy in the gateway's eyes, so the dying worker gets it.
        gateway.registry.started("spare", model: Self.model)
        var received: [TokenEvent] = []
        do {
            for try await event in try await gateway.generate(Self.chat(["Tell a story."])) {
                received.append(event)
                if received.count == 2 { await worker.kill() }
            }
            Issue.record("the stream ended without an error")
        } catch let error as HearthError {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("after 2 tokens"), "\(error.message)")
        }
        #expect(received == [.text("Once"), .text(" upon")])
    }

    @Test func aClientThatLeavesStopsTheWorkersGeneration() async throws {
        let (url, stop) = try await TestNATS.start()
        defer { Task { await stop() } }
        let provider = StepProvider(model: Self.model) { _ in [.text("Start"), .hang] }
        let worker = try await Self.start("w", provider, url: url)
        defer { Task { await worker.kill() } }
        let (gateway, closeGateway) = try await Self.gateway(url: url)
        defer { closeGateway() }
        try await Self.until { !gateway.registry.candidates(for: Self.model).isEmpty }
        let reading = Task {
            for try await _ in try await gateway.generate(Self.chat(["Go"])) {}
        }
        try await Self.until { provider.received == 1 }
        try await Task.sleep(for: .milliseconds(300))
        reading.cancel()
        try await Self.until { provider.cancelled == 1 }
    }

    @Test func aStoppingWorkerFinishesWhatItHasAndTakesNoMore() async throws {
        let (url, stop) = try await TestNATS.start()
        defer { Task { await stop() } }
        let provider = StepProvider(model: Self.model) { _ in [.text("slow"), .pause(.milliseconds(500)), .text(" answer")] }
        let worker = try await Self.start("w", provider, url: url, slots: 4)
        defer { Task { await worker.kill() } }
        let (gateway, closeGateway) = try await Self.gateway(url: url)
        defer { closeGateway() }
        try await Self.until { !gateway.registry.candidates(for: Self.model).isEmpty }
        let running = Task { try await Self.collect(gateway, Self.chat(["Hi"])) }
        try await Self.until { provider.received == 1 }
        await worker.worker.stop(grace: .seconds(30))
        // What it had, it finished; the gateways were told it left; no more reaches it.
        #expect(try await running.value.prefix(2) == [.text("slow"), .text(" answer")])
        try await Self.until { gateway.registry.candidates(for: Self.model).isEmpty }
        do {
            _ = try await Self.collect(gateway, Self.chat(["Hi"]))
            Issue.record("a stopped worker answered")
        } catch let error as HearthError {
            #expect(error.code == .unavailable)
        }
        #expect(provider.received == 1)
    }
}
