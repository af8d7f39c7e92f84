import HearthCore
import HearthNATS
import HearthRedis
import HearthServer
import HearthWorkers
import Logging
import ServiceLifecycle

/// What replicas share besides the store: with `HEARTH_REDIS_URL`, the limits' counts, the
/// notices of changes to keys, the exact answer cache and the router's circuits live in
/// Redis; without, in this process.
struct SharedState {
    let redis: RedisClient?
    /// With `HEARTH_NATS_URL`: where events go and `ai.llm.*` requests come from.
    var nats: NATSClient?
    let ledger: any LimitLedger
    let notices: (any ChangeNotices)?
    /// With Redis: the deployments cooling down, as every replica's router sees them.
    var circuits: (any SharedCircuits)? { redis.map { RedisCircuits(redis: $0, logger: logger) } }
    let logger: Logger

    /// The exact answer cache, when `HEARTH_CACHE_MB` asks for one: in Redis when there is one
    /// (its size is then Redis's `maxmemory`), else in memory.
    func answerCache(_ configuration: Configuration) -> (any AnswerCache)? {
        guard configuration.answerCacheBytes > 0 else { return nil }
        guard let redis else { return MemoryAnswerCache(capacityBytes: configuration.answerCacheBytes) }
        return RedisAnswerCache(redis: redis, maxAnswerBytes: max(1 << 16, configuration.answerCacheBytes / 16))
    }

    /// With `HEARTH_WORKERS=1`: the workers on NATS, in place of this process's engine.
    func workers(_ configuration: Configuration, logger: Logger) -> WorkerProvider? {
        guard configuration.usesWorkers, let nats else { return nil }
        logger.info("sending generations and embeddings to the workers on NATS")
        return WorkerProvider(nats: nats, logger: logger)
    }

    /// Connects to the configured Redis (a first command, so that a wrong address or password
    /// fails at start, not on the first limited request).
    /// - Throws: `HearthError` when Redis cannot be reached or refuses the credentials.
    static func open(_ configuration: Configuration, logger: Logger) async throws -> SharedState {
        var shared = SharedState(redis: nil, ledger: MemoryLimitLedger(), notices: nil, logger: logger)
        if let url = configuration.redisURL {
            let redis = try RedisClient(url: url, logger: logger)
            do {
                try await redis.send("PING")
            } catch {
                redis.close()
                throw error
            }
            logger.info("sharing limits through Redis", metadata: ["hearth.redis": "\(redis.address.shown)"])
            shared = SharedState(
                redis: redis, ledger: RedisLimitLedger(redis: redis), notices: RedisChangeNotices(redis: redis, logger: logger),
                logger: logger)
        }
        if let url = configuration.natsURL {
            do {
                shared.nats = try await NATSClient.connect(to: url, logger: logger)
            } catch {
                shared.close()
                throw error
            }
            logger.info("on NATS", metadata: ["hearth.nats": "\(shared.nats?.address.shown ?? "")"])
        }
        return shared
    }

    func close() {
        redis?.close()
        nats?.close()
    }
}

/// Answers `ai.llm.*` and publishes events on NATS, when there is NATS, until shutdown.
struct NATSSubjectsService: Service {
    let subjects: NATSSubjects?

    func run() async throws {
        guard let subjects else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown { await subjects.run() }
    }
}

/// Keeps the Redis and NATS connections until the application shuts down.
struct SharedStateConnections: Service {
    let shared: SharedState

    func run() async throws {
        try? await gracefulShutdown()
        shared.close()
    }
}
