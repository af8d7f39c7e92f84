import Foundation
import HearthCore
import HearthEngine
import HearthKnowledge
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
        let runtime = try Runtime(configuration)
        let provider = runtime.provider
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
        let router = HTTPServer.router(
            pipeline: runtime.pipeline, knowledge: runtime.knowledge, metrics: Metrics(), apiKeys: configuration.apiKeys,
            maxBodyBytes: configuration.maxBodyBytes, packageIndex: configuration.packageIndex)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "hearth"),
            services: [EngineService(provider: provider), KnowledgeService(knowledge: runtime.knowledge)],
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

/// Ingests uploaded files in the background; writes the vector indexes at shutdown.
struct KnowledgeService: Service {
    let knowledge: KnowledgeBase

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await knowledge.uploads.run()
        }
        try? await knowledge.store.flush()
    }
}
