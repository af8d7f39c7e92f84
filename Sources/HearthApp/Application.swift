import Foundation
import HearthCore
import HearthEngine
import HearthKnowledge
import HearthMCP
import HearthModels
import HearthProviders
import HearthServer
import HearthServices
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// The composition root: turns a `Configuration` into a running application. Shared by
/// `hearth serve`, the CLI working alone (`InProcessServer`) and the tests, so that all run
/// exactly the same wiring.
public enum HearthApplication {
    /// Builds the provider, the knowledge base and the services, loads `preload` (default: the
    /// configured models, so that a bad model fails at start, not on the first request) and
    /// returns the HTTP application.
    /// - Parameters:
    ///   - services: more services to run beside the server (the trace exporter).
    ///   - onServerRunning: called with the listening channel (its port when 0 was asked).
    /// - Throws: `HearthError` for invalid settings, unknown or unloadable models.
    public static func build(
        _ configuration: Configuration, logger: Logger = Logger(label: "hearth"), preload: [String]? = nil,
        services extra: [any Service] = [], onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) async throws -> some ApplicationProtocol {
        let events = MemoryEventBus()
        let provider = LocalProvider(
            store: ModelStore(root: configuration.paths.models),
            options: EngineOptions(
                parallel: configuration.parallel, contextPerSequence: configuration.contextPerSequence,
                threads: configuration.threads, maxQueue: configuration.maxQueue, promptLookup: configuration.promptLookup),
            keepAlive: configuration.keepAlive, maxMemoryBytes: configuration.maxMemoryBytes, events: events)
        let stores = try await StoreBackend.open(configuration, logger: logger)
        let identityStore = stores.identity
        try configuration.validate(hasUsers: try await identityStore.userCount() > 0)
        let shared = try await SharedState.open(configuration, logger: logger)
        // The engine: this process's, or the workers' on NATS (what `provider = "local"` means).
        let engine: any InferenceProvider = shared.workers(configuration, logger: logger) ?? provider
        let pipeline = ChatPipeline(
            router: try GatewayConfiguration.load(from: configuration.paths.configFile).router(local: engine, circuits: shared.circuits),
            defaultModel: configuration.models[0],
            defaultEmbeddingModel: configuration.embeddingModel, store: provider.store)
        let gateway = GatewayReloader(file: configuration.paths.configFile, local: engine, router: pipeline.router)
        let knowledge = KnowledgeBase(
            store: stores.knowledge, embedder: pipeline, embeddingModel: pipeline.defaultEmbeddingModel, events: events)
        let identity = IdentityService(
            store: identityStore, audit: identityStore, secret: stores.secret,
            staticKeys: configuration.apiKeys, loopbackOnly: configuration.bindsLoopbackOnly, notices: shared.notices)
        try await identity.followChanges()
        try await pipeline.router.followSharedCircuits()
        let usage = UsageService(store: identityStore, logger: logger)
        let mcpClients = MCPClients(try MCPServerConfiguration.servers(in: configuration.paths.mcpServers), logger: logger)
        let services = Services(
            pipeline: pipeline, knowledge: knowledge, ingestRoots: configuration.ingestRoots,
            allowsModelPaths: configuration.allowsModelPaths, packageIndex: configuration.packageIndex, identity: identity,
            limits: LimitService(ledger: shared.ledger, usage: usage), usage: usage, conversations: identityStore, responses: identityStore,
            answerCache: shared.answerCache(configuration),
            semanticCache: configuration.answerCacheBytes > 0 ? MemorySemanticCache(capacityBytes: configuration.answerCacheBytes) : nil,
            semanticModels: configuration.semanticCacheModels,
            skillsFolder: configuration.paths.skills, externalSkills: mcpClients, gateway: gateway, eventBus: events,
            settings: configuration.settings, speechModel: configuration.speechModel,
            voice: configuration.voice, threads: configuration.threads, logger: logger)
        // Workers load their models themselves.
        for model in configuration.usesWorkers ? [] : preload ?? configuration.models {
            let engine = try await provider.load(model)
            logger.info(
                "model loaded",
                metadata: [
                    "hearth.model": "\(model)", "hearth.context": "\(engine.contextPerSequence)",
                    "hearth.parallel": "\(engine.options.parallel)", "hearth.queue": "\(engine.options.maxQueue)",
                ])
        }
        let router = HTTPServer.router(
            services: services, metrics: Metrics(), maxBodyBytes: configuration.maxBodyBytes,
            traced: configuration.tracesEndpoint != nil)
        let application = Application(
            router: router,
            server: HTTPServer.http1(
                webSockets: HTTPServer.socketRouter(services: services, http: router, maxBodyBytes: configuration.maxBodyBytes),
                maxBodyBytes: configuration.maxBodyBytes),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "hearth"),
            // Services stop in reverse order: the store's connections last, after the usage
            // writer's final flush and the ingestions that write to it.
            services: [
                StoreConnections(stores: stores), SharedStateConnections(shared: shared), ModelKeepAlive(provider: provider),
                UploadIngestion(knowledge: knowledge, logger: logger),
                UsageWriter(usage: usage), MCPClientService(clients: mcpClients), ReloadOnHangup(system: services.system),
                NATSSubjectsService(
                    subjects: shared.nats.map { NATSSubjects(nats: $0, chat: services.chat, events: events, logger: logger) }),
                EventTicker(events: services.events),
            ] + extra,
            onServerRunning: onServerRunning, logger: logger)
        return GracefulApplication(inner: application, provider: provider, events: services.events)
    }
}

extension HearthApplication {
    /// Creates the first administrator of the data folder `configuration` names, and a key
    /// for it; returns the key's secret, shown once (`hearth admin bootstrap`). Works beside
    /// a running server: from its next request on, that server needs keys.
    /// - Throws: `HearthError.invalidRequest` when users exist already or the name is invalid.
    public static func bootstrapAdmin(_ configuration: Configuration, name: String) async throws -> (User, APIKey, String) {
        let stores = try await StoreBackend.open(configuration, logger: Logger(label: "hearth"))
        defer { stores.close() }
        let identity = IdentityService(store: stores.identity, audit: stores.identity, secret: stores.secret)
        return try await identity.bootstrap(admin: name)
    }
}

/// Unloads models whose keep-alive has passed, every second, and every model when the
/// application shuts down.
struct ModelKeepAlive: Service {
    let provider: LocalProvider

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                await provider.evictExpired(now: Date())
            }
        }
        await provider.shutdown()
    }
}

/// Reads `config.toml` again on each SIGHUP (as `hearth reload` does).
struct ReloadOnHangup: Service {
    let system: SystemService

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in hangups {
                // A mistake in the file is logged by the service; the routes in use stay.
                _ = try? system.reloadGateway(by: .operator)
            }
        }
    }
}

/// Keeps the external MCP servers running; stops them at shutdown.
struct MCPClientService: Service {
    let clients: MCPClients

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await clients.run()
            // With no server configured there is nothing to keep: wait for the end all the same
            // (a service that returns ends the whole server).
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3_600)) }
        }
    }
}

/// Writes usage records in batches, every second and at shutdown.
struct UsageWriter: Service {
    let usage: UsageService

    func run() async throws {
        await cancelWhenGracefulShutdown { await usage.run() }
        await usage.save()
    }
}

/// Ingests uploaded files in the background; writes the vector indexes at shutdown.
struct UploadIngestion: Service {
    let knowledge: KnowledgeBase
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await knowledge.uploads.run()
        }
        do {
            try await knowledge.store.flush()
        } catch {
            logger.error("could not save the vector indexes", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}

/// Publishes what the loaded models are doing every second, while anyone listens to
/// `/hearth/events` (the dashboard); ends the listeners' streams at shutdown.
struct EventTicker: Service {
    let events: EventService

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                await events.publishStats()
            }
        }
        events.close()
    }
}
