import Foundation
import HearthCore
import HearthEngine
import HearthModels
import HearthNATS
import HearthProviders
import HearthWorkers
import Logging
import ServiceLifecycle
import UnixSignals

/// `hearth worker`: engines without the HTTP API, serving their models to gateways
/// (`hearth serve --workers`) over NATS until SIGTERM or SIGINT; then it takes no more
/// requests and finishes those it has (up to `grace`).
public enum WorkerApplication {
    /// Loads `models` (so that a bad one fails at start), connects to NATS and serves.
    /// - Throws: `HearthError` without NATS, for unknown or unloadable models, or when NATS
    ///   cannot be reached.
    public static func run(
        _ configuration: Configuration, models: [String], id: String, grace: Duration = .seconds(30), logger: Logger
    ) async throws {
        guard let url = configuration.natsURL else {
            throw HearthError.invalidRequest("a worker takes its requests from NATS: set HEARTH_NATS_URL")
        }
        guard !models.isEmpty else { throw HearthError.invalidRequest("a worker needs at least one model (--model)") }
        let provider = LocalProvider(
            store: ModelStore(root: configuration.paths.models),
            options: EngineOptions(
                parallel: configuration.parallel, contextPerSequence: configuration.contextPerSequence,
                threads: configuration.threads, maxQueue: configuration.maxQueue, promptLookup: configuration.promptLookup),
            keepAlive: -1, maxMemoryBytes: configuration.maxMemoryBytes)
        var served: [Worker.Model] = []
        for model in models {
            let engine = try await provider.load(model)
            served.append(Worker.Model(name: ModelStore.canonicalName(model), slots: engine.options.parallel))
            logger.info(
                "model loaded",
                metadata: [
                    "hearth.model": "\(model)", "hearth.context": "\(engine.contextPerSequence)",
                    "hearth.parallel": "\(engine.options.parallel)", "hearth.threads": "\(engine.options.threads)",
                ])
        }
        let nats: NATSClient
        do {
            nats = try await NATSClient.connect(to: url, logger: logger)
        } catch {
            await provider.shutdown()
            throw error
        }
        let worker = Worker(id: id, nats: nats, provider: provider, models: served, logger: logger)
        logger.info("worker serving on NATS", metadata: ["hearth.worker": "\(id)", "hearth.nats": "\(nats.address.shown)"])
        let group = ServiceGroup(
            configuration: .init(
                services: [WorkerService(worker: worker, provider: provider, nats: nats, grace: grace)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// A worker's default name: the host's and the process's, as one subject token.
    public static var defaultID: String {
        WorkerSubjects.token(ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "worker")
            + "-\(ProcessInfo.processInfo.processIdentifier)"
    }
}

/// Serves until shutdown, then finishes what is running and stops the engines.
struct WorkerService: Service {
    let worker: Worker
    let provider: LocalProvider
    let nats: NATSClient
    let grace: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown { await worker.run() }
        await worker.stop(grace: grace)
        await provider.shutdown()
        nats.close()
    }
}
