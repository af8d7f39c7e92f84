import Foundation
import HearthCore
import Synchronization
import Tracing

/// Picks where a model's requests go. A model the configuration names (`[[models]]`) has
/// deployments, tried in order: one that fails before its first token (it does not answer,
/// is busy, rate-limited, or cannot load the model) passes the request to the next, so the
/// client sees one answer, streaming or not, and one that keeps failing (or says when to come
/// back) is left alone for a while (`CircuitBreaker`). Any other model goes to the first
/// provider that serves it. The provider chosen is recorded in `RoutingChoice.current`.
public struct ProviderRouter: Sendable {
    /// What the router knows of providers and routed models, swapped whole when the
    /// configuration is reloaded (requests already routed keep the deployments they had).
    public struct Table: Sendable {
        public var providers: [any InferenceProvider]
        /// Public model name (or alias) → where it runs, in order of preference.
        public var routes: [String: [Deployment]]
        /// How each routed model orders its deployments (default `priority`).
        public var strategies: [String: RoutingStrategy]
        /// How many more rounds over its deployments a routed model's request gets when all
        /// failed with something passing (unreachable, busy, limited); default none.
        public var retries: [String: Int]
        /// Other public models whose deployments a model's request goes to once its own all
        /// failed before their first token.
        public var fallbacks: [String: [String]]

        public init(
            providers: [any InferenceProvider], routes: [String: [Deployment]] = [:], strategies: [String: RoutingStrategy] = [:],
            retries: [String: Int] = [:], fallbacks: [String: [String]] = [:]
        ) {
            self.providers = providers
            self.routes = routes
            self.strategies = strategies
            self.retries = retries
            self.fallbacks = fallbacks
        }
    }

    private let current: Current
    let health: DeploymentHealth
    let now: @Sendable () -> Date

    /// The table in use now.
    public var table: Table { current.table.withLock { $0 } }
    public var providers: [any InferenceProvider] { table.providers }
    public var routes: [String: [Deployment]] { table.routes }
    public var strategies: [String: RoutingStrategy] { table.strategies }
    public var retries: [String: Int] { table.retries }

    /// Routes by `table` from now on; requests already routed go on where they are. Circuits
    /// and measurements of deployments that stay are kept.
    public func reload(_ table: Table) { current.table.withLock { $0 = table } }

    /// One place a model runs: a provider and the model's name there.
    public struct Deployment: Sendable {
        public var provider: any InferenceProvider
        public var model: String
        /// The tokens a prompt may have there, when the configuration says: a prompt estimated
        /// longer is not sent (another deployment gets it).
        public var context: Int?
        /// Its share of requests under the `weighted` strategy.
        public var weight: Double

        public init(provider: any InferenceProvider, model: String, context: Int? = nil, weight: Double = 1) {
            self.provider = provider
            self.model = model
            self.context = context
            self.weight = weight
        }

        /// Whether a prompt of about `tokens` tokens fits.
        func fits(_ tokens: Int) -> Bool { context.map { tokens <= $0 } ?? true }
    }

    public init(
        providers: [any InferenceProvider], routes: [String: [Deployment]] = [:], strategies: [String: RoutingStrategy] = [:],
        retries: [String: Int] = [:], fallbacks: [String: [String]] = [:], breaker: CircuitBreaker = CircuitBreaker(),
        circuits: (any SharedCircuits)? = nil, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.init(
            Table(providers: providers, routes: routes, strategies: strategies, retries: retries, fallbacks: fallbacks),
            breaker: breaker, circuits: circuits, now: now)
    }

    /// - Parameter circuits: where replicas share the deployments cooling down (Redis); nil:
    ///   this router's own.
    public init(
        _ table: Table, breaker: CircuitBreaker = CircuitBreaker(), circuits: (any SharedCircuits)? = nil,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        current = Current(table)
        health = DeploymentHealth(breaker, shared: circuits)
        self.now = now
    }

    /// Opens the circuits other replicas open (and closes those they close) from now on,
    /// when circuits are shared.
    public func followSharedCircuits() async throws {
        try await health.shared?.follow { [health, now] open in health.adopt(open, at: now()) }
    }

    /// The circuit of each deployment that has one (`provider/model`).
    public var circuits: [String: CircuitBreaker.State] { health.states }

    /// How a routed model's deployment is doing, for `/hearth/status`.
    public struct DeploymentReport: Sendable, Equatable {
        public var model: String
        public var provider: String
        public var upstreamModel: String
        public var strategy: RoutingStrategy
        /// `closed`, `open` or `half-open`.
        public var circuit: String
        public var inFlight: Int
        public var firstTokenSeconds: Double?
    }

    /// What a probe of one deployment found.
    public struct ProbeResult: Sendable {
        public var model: String
        public var provider: String
        public var upstreamModel: String
        /// Nil when it answered.
        public var error: HearthError?
        public var seconds: Double
    }

    /// Asks every routed model's every deployment for one token, whatever its circuit says
    /// (an answer closes it, a failure counts), in parallel.
    public func probe() async -> [ProbeResult] {
        let routes = self.routes
        let all = routes.keys.sorted().flatMap { model in routes[model]!.map { (model, $0) } }
        return await withTaskGroup(of: (Int, ProbeResult).self) { group in
            for (index, (model, deployment)) in all.enumerated() {
                group.addTask {
                    let started = ContinuousClock.now
                    var problem: HearthError?
                    do {
                        let request = GenerationRequest(
                            model: deployment.model, prompt: .chat([ChatMessage(role: .user, content: "Hi")]),
                            params: GenerationParams(maxTokens: 1, temperature: 0))
                        for try await _ in try await deployment.provider.generate(request) {}
                        health.succeeded(deployment, after: ContinuousClock.now - started)
                    } catch let failure as HearthError {
                        problem = failure
                        health.failed(deployment, at: now(), retryAfter: failure.retryAfter)
                    } catch {
                        problem = HearthError(.internalError, "\(error)")
                    }
                    let elapsed = ContinuousClock.now - started
                    return (
                        index,
                        ProbeResult(
                            model: model, provider: deployment.provider.name, upstreamModel: deployment.model, error: problem,
                            seconds: elapsed.seconds)
                    )
                }
            }
            var results: [(Int, ProbeResult)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// Every routed model's deployments, in their configured order.
    public var report: [DeploymentReport] {
        let table = self.table
        return table.routes.keys.sorted().flatMap { model in
            table.routes[model]!.map { deployment in
                let circuit =
                    switch health.states[DeploymentHealth.key(deployment)] ?? .closed(failures: 0) {
                    case .closed: "closed"
                    case .open: "open"
                    case .halfOpen: "half-open"
                    }
                let stats = health.stats(deployment)
                return DeploymentReport(
                    model: model, provider: deployment.provider.name, upstreamModel: deployment.model,
                    strategy: table.strategies[model] ?? .priority, circuit: circuit, inFlight: stats.inFlight,
                    firstTokenSeconds: stats.firstTokenSeconds)
            }
        }
    }

    /// Where `model` runs, in order.
    /// - Throws: `HearthError.modelNotFound` when nothing serves it.
    public func deployments(for model: String) async throws -> [Deployment] {
        try await Self.deployments(for: model, in: table)
    }

    static func deployments(for model: String, in table: Table) async throws -> [Deployment] {
        if let routed = table.routes[model], !routed.isEmpty { return routed }
        for provider in table.providers where await provider.serves(model) {
            return [Deployment(provider: provider, model: model)]
        }
        throw HearthError.modelNotFound(model)
    }

    /// The provider of `model`'s first deployment.
    /// - Throws: `HearthError.modelNotFound` when no provider serves `model`.
    public func provider(for model: String) async throws -> any InferenceProvider {
        try await deployments(for: model)[0].provider
    }

    /// Starts the generation on the first deployment that gets as far as its first event;
    /// when all of the model's fail, on its fallback models' (the request's `fallbacks`, else
    /// the configuration's).
    /// - Throws: the last deployment's error when none does.
    public func generate(_ request: GenerationRequest) async throws -> AsyncThrowingStream<TokenEvent, any Error> {
        try await withSpan("hearth.route") { span in
            span.attributes["hearth.model"] = request.model
            let events = try await route(request)
            if let chosen = RoutingChoice.current?.deployment {
                span.attributes["hearth.provider"] = chosen.provider
                span.attributes["hearth.upstream_model"] = chosen.model ?? ""
            }
            return events
        }
    }

    /// `generate`'s work, in its span.
    private func route(_ request: GenerationRequest) async throws -> AsyncThrowingStream<TokenEvent, any Error> {
        let table = self.table
        let fallbacks = request.fallbacks ?? table.fallbacks[request.model] ?? []
        let deployments: [Deployment]
        do {
            deployments = try await Self.deployments(for: request.model, in: table)
        } catch let error as HearthError where error.code == .modelNotFound && !fallbacks.isEmpty {
            deployments = []
        }
        let rounds = 1 + max(0, table.retries[request.model] ?? 0)
        if deployments.count == 1, rounds == 1, fallbacks.isEmpty {
            // Nowhere else to go: the stream as it comes, without waiting for its first event.
            var upstream = request
            upstream.model = deployments[0].model
            RoutingChoice.current?.record(deployments[0].provider.name, model: deployments[0].model)
            return try await deployments[0].provider.generate(upstream)
        }
        // Deployments the prompt does not fit are never asked.
        let tokens = Self.estimatedTokens(request)
        var random = SystemRandomNumberGenerator()
        var fitting = (table.strategies[request.model] ?? .priority).order(
            deployments.filter { $0.fits(tokens) }, stats: health.stats, using: &random)
        var contexts = deployments.compactMap(\.context)
        for model in fallbacks where model != request.model {
            guard let others = try? await Self.deployments(for: model, in: table) else { continue }
            contexts += others.compactMap(\.context)
            fitting += (table.strategies[model] ?? .priority).order(others.filter { $0.fits(tokens) }, stats: health.stats, using: &random)
        }
        guard !fitting.isEmpty else {
            if deployments.isEmpty, contexts.isEmpty { throw HearthError.modelNotFound(request.model) }
            throw HearthError.contextLengthExceeded(promptTokens: tokens, contextSize: contexts.max() ?? 0)
        }
        var failure: (any Error)?
        func attempt(_ deployment: Deployment) async throws -> AsyncThrowingStream<TokenEvent, any Error>? {
            try await withSpan("hearth.provider", ofKind: .client) { span in
                span.attributes["hearth.provider"] = deployment.provider.name
                span.attributes["hearth.upstream_model"] = deployment.model
                var upstream = request
                upstream.model = deployment.model
                let started = ContinuousClock.now
                health.started(deployment)
                do {
                    let events = try await deployment.provider.generate(upstream)
                    var iterator = events.makeAsyncIterator()
                    let first = try await iterator.next()
                    let firstToken = ContinuousClock.now - started
                    health.succeeded(deployment, after: firstToken)
                    RoutingChoice.current?.record(deployment.provider.name, model: deployment.model, firstTokenSeconds: firstToken.seconds)
                    return Self.resumed(first, iterator) { [health] in health.ended(deployment) }
                } catch let error as HearthError where Self.passesOn(error) {
                    health.ended(deployment)
                    health.failed(deployment, at: now(), retryAfter: error.retryAfter)
                    RoutingChoice.current?.recordFailure(deployment.provider.name, error)
                    span.recordError(error)
                    span.setStatus(SpanStatus(code: .error, message: error.code.description))
                    failure = error
                    return nil
                } catch {
                    health.ended(deployment)
                    throw error
                }
            }
        }
        for round in 0..<rounds {
            var tried = false
            for deployment in fitting where health.allows(deployment, at: now()) {
                tried = true
                if let events = try await attempt(deployment) { return events }
            }
            // Every one is cooling down: better to try them than to refuse.
            if !tried {
                for deployment in fitting {
                    if let events = try await attempt(deployment) { return events }
                }
            }
            guard round + 1 < rounds, let error = failure as? HearthError, let pause = Self.pause(before: round + 1, after: error) else {
                break
            }
            try await Task.sleep(for: pause)
            RoutingChoice.current?.recordRetry()
        }
        throw failure ?? HearthError.modelNotFound(request.model)
    }

    /// How long to wait before round `round` (1 for the first retry) after `error`: as long
    /// as the upstream asked (`Retry-After`, up to 10 s; longer is not waited for), otherwise
    /// 0.25 s doubling each round, give or take half; nil when the error will not pass.
    public static func pause(before round: Int, after error: HearthError) -> Duration? {
        guard [.unreachable, .unavailable, .queueFull, .rateLimited, .internalError].contains(error.code) else { return nil }
        if let seconds = error.retryAfter { return seconds <= 10 ? .seconds(seconds) : nil }
        let base = 0.25 * Double(1 << min(round - 1, 5))
        return .milliseconds(Int(base * Double.random(in: 0.5...1.5) * 1000))
    }

    /// Errors another deployment may not have: not answering, busy, limited, not loadable, a
    /// context too small. A request that is wrong (invalid fields) is wrong everywhere.
    static func passesOn(_ error: HearthError) -> Bool {
        [.unreachable, .unavailable, .queueFull, .rateLimited, .modelLoadFailed, .internalError, .modelNotFound, .contextLengthExceeded]
            .contains(error.code)
    }

    /// A prompt's tokens, estimated on the high side without a tokenizer: one per three
    /// bytes of text and tool schemas (English runs about four), eight per message.
    static func estimatedTokens(_ request: GenerationRequest) -> Int {
        let tools = request.tools?.tools.reduce(0) { $0 + $1.name.utf8.count + $1.description.utf8.count + $1.parameters.utf8.count } ?? 0
        switch request.prompt {
        case .text(let text): return (text.utf8.count + tools) / 3 + 8
        case .chat(let messages):
            return
                (messages.reduce(0) { $0 + $1.content.utf8.count + ($1.toolCalls?.reduce(0) { $0 + $1.arguments.utf8.count } ?? 0) }
                + tools) / 3 + 8 * messages.count
        }
    }

    /// A stream that yields `first`, then what `iterator` has left; `ended` runs once it ends.
    static func resumed(
        _ first: TokenEvent?, _ iterator: AsyncThrowingStream<TokenEvent, any Error>.AsyncIterator,
        ended: @escaping @Sendable () -> Void
    ) -> AsyncThrowingStream<TokenEvent, any Error> {
        let box = IteratorBox(iterator)
        let (stream, continuation) = AsyncThrowingStream<TokenEvent, any Error>.makeStream()
        let task = Task {
            defer { ended() }
            do {
                if let first { continuation.yield(first) }
                while let event = try await box.next() { continuation.yield(event) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// How many tokens `request`'s prompt is on its first deployment.
    public func promptTokens(_ request: GenerationRequest) async throws -> Int {
        let deployment = try await deployments(for: request.model)[0]
        var upstream = request
        upstream.model = deployment.model
        return try await deployment.provider.promptTokens(upstream)
    }

    /// Embeds on the first deployment that answers.
    public func embed(_ request: EmbeddingRequest) async throws -> EmbeddingResult {
        let deployments = try await deployments(for: request.model)
        var failure: (any Error)?
        for deployment in deployments {
            var upstream = request
            upstream.model = deployment.model
            do {
                return try await deployment.provider.embed(upstream)
            } catch let error as HearthError where Self.passesOn(error) && deployments.count > 1 {
                failure = error
            }
        }
        throw failure ?? HearthError.modelNotFound(request.model)
    }

    /// Loads `model` where it runs first.
    public func preload(_ model: String, keepAlive: Double?) async throws {
        let deployment = try await deployments(for: model)[0]
        try await deployment.provider.preload(deployment.model, keepAlive: keepAlive)
    }

    /// Loaded models of every provider.
    public func loadedModels() async -> [LoadedModel] {
        var all: [LoadedModel] = []
        for provider in table.providers { all += await provider.loadedModels() }
        return all
    }

    /// The routed models, then every model of the providers that list theirs (the local
    /// engine's store), without duplicates. A remote provider's upstream names are not
    /// listed: only what routes to them is.
    public func models() async throws -> [ModelInfo] {
        let table = self.table
        var seen = Set<String>()
        var all: [ModelInfo] = []
        for name in table.routes.keys.sorted() where seen.insert(name).inserted {
            all.append(ModelInfo(id: name, provider: table.routes[name]?.first?.provider.name ?? "router", created: 0))
        }
        for provider in table.providers where !(provider is any RemoteProvider) {
            for model in try await provider.models() where seen.insert(model.id).inserted {
                all.append(model)
            }
        }
        return all
    }
}

/// The table the router's copies share.
private final class Current: Sendable {
    let table: Mutex<ProviderRouter.Table>
    init(_ table: ProviderRouter.Table) { self.table = Mutex(table) }
}

/// An iterator moved into the task that drains it.
private final class IteratorBox: @unchecked Sendable {
    var iterator: AsyncThrowingStream<TokenEvent, any Error>.AsyncIterator
    init(_ iterator: AsyncThrowingStream<TokenEvent, any Error>.AsyncIterator) { self.iterator = iterator }
    func next() async throws -> TokenEvent? { try await iterator.next() }
}

/// The circuit breaker and the statistics of each deployment, shared by the router's copies;
/// with `shared`, a circuit this replica opens or closes is told to the others, and theirs
/// are adopted (`adopt`).
final class DeploymentHealth: Sendable {
    private let breakers = Mutex<[String: CircuitBreaker]>([:])
    private let measured = Mutex<[String: DeploymentStats]>([:])
    /// Circuits opened because another replica said, until when.
    private let adopted = Mutex<[String: Date]>([:])
    private let fresh: CircuitBreaker
    let shared: (any SharedCircuits)?

    init(_ fresh: CircuitBreaker, shared: (any SharedCircuits)? = nil) {
        self.fresh = fresh
        self.shared = shared
    }

    /// The deployments other replicas leave alone now (`SharedCircuits.follow`): each opened
    /// here too; one that another replica opened and now closed, closed.
    func adopt(_ open: [String: Date], at now: Date) {
        let reopened = adopted.withLock { adopted in
            defer { adopted = open.filter { $0.value > now } }
            return adopted.keys.filter { open[$0] == nil }
        }
        breakers.withLock { breakers in
            for (key, until) in open where until > now { breakers[key, default: fresh].open(until: until) }
            for key in reopened {
                if case .open = breakers[key]?.state { breakers[key]?.succeeded() }
            }
        }
    }

    static func key(_ deployment: ProviderRouter.Deployment) -> String { deployment.provider.name + "/" + deployment.model }

    func allows(_ deployment: ProviderRouter.Deployment, at now: Date) -> Bool {
        breakers.withLock { $0[Self.key(deployment), default: fresh].allows(at: now) }
    }

    func succeeded(_ deployment: ProviderRouter.Deployment, after firstToken: Duration) {
        let key = Self.key(deployment)
        let wasOpen = breakers.withLock { breakers in
            defer { breakers[key, default: fresh].succeeded() }
            if case .closed = breakers[key, default: fresh].state { return false }
            return true
        }
        if wasOpen, let shared { Task { await shared.closed(key) } }
        measured.withLock { $0[Self.key(deployment), default: DeploymentStats()].measured(firstToken.seconds) }
    }

    func started(_ deployment: ProviderRouter.Deployment) {
        measured.withLock { $0[Self.key(deployment), default: DeploymentStats()].inFlight += 1 }
    }

    func ended(_ deployment: ProviderRouter.Deployment) {
        measured.withLock { $0[Self.key(deployment), default: DeploymentStats()].inFlight -= 1 }
    }

    func stats(_ deployment: ProviderRouter.Deployment) -> DeploymentStats {
        measured.withLock { $0[Self.key(deployment)] ?? DeploymentStats() }
    }

    func failed(_ deployment: ProviderRouter.Deployment, at now: Date, retryAfter: Int?) {
        let key = Self.key(deployment)
        let opened: Date? = breakers.withLock { breakers in
            breakers[key, default: fresh].failed(at: now, retryAfter: retryAfter)
            if case .open(let until) = breakers[key]!.state { return until }
            return nil
        }
        if let opened, let shared { Task { await shared.opened(key, until: opened) } }
    }

    var states: [String: CircuitBreaker.State] { breakers.withLock { $0.mapValues(\.state) } }
}
