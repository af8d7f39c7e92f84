import Foundation
import HearthCore
import HearthEngine
import HearthModels
import HearthProviders
import HearthServer
import Hummingbird
import Logging
import ServiceLifecycle

/// The composition root: turns a `Configuration` into a running application. Shared by
/// `hearth serve` and the tests, so that both run exactly the same wiring.
public enum HearthApplication {
    /// Builds the provider, loads the configured models (so that a bad model fails at
    /// start, not on the first request) and returns the HTTP application.
    /// - Throws: `HearthError` for invalid settings, unknown or unloadable models.
    public static func build(
        _ configuration: Configuration, logger: Logger = Logger(label: "hearth")
    ) async throws -> some ApplicationProtocol {
        try configuration.validate()
        let provider = LocalProvider(
            store: ModelStore(root: configuration.paths.models),
            options: EngineOptions(
                parallel: configuration.parallel, contextPerSequence: configuration.contextPerSequence, threads: configuration.threads,
                maxQueue: configuration.maxQueue),
            keepAlive: configuration.keepAlive, maxMemoryBytes: configuration.maxMemoryBytes)
        for model in configuration.models {
            let engine = try await provider.load(model)
            logger.info(
                "model loaded",
                metadata: [
                    "hearth.model": "\(model)", "hearth.context": "\(engine.contextPerSequence)",
                    "hearth.parallel": "\(engine.options.parallel)",
                    "hearth.queue": "\(engine.options.maxQueue)",
                ])
        }
        let pipeline = ChatPipeline(
            router: ProviderRouter(providers: [provider]), defaultModel: configuration.models[0],
            defaultEmbeddingModel: configuration.embeddingModel, store: provider.store)
        let router = HTTPServer.router(
            pipeline: pipeline, metrics: Metrics(), apiKeys: configuration.apiKeys, maxBodyBytes: configuration.maxBodyBytes,
            packageIndex: configuration.packageIndex)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "hearth"),
            services: [EngineService(provider: provider)],
            logger: logger)
    }
}

/// Unloads models whose keep-alive has passed, every second, and every model when the
/// application shuts down.
struct EngineService: Service {
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
