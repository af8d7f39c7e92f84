import HearthCore

/// `GET /hearth/status`: what the server runs now. Read by `hearth ps`.
public struct HearthStatus: Codable, Sendable, Equatable {
    public struct Model: Codable, Sendable, Equatable {
        public var name: String
        public var provider: String
        /// Sequences (slots) this model serves at once, and how many are busy.
        public var parallel: Int
        public var activeSequences: Int
        public var queuedRequests: Int
        /// Context of each sequence, in tokens (not a total shared by the slots).
        public var contextPerSequence: Int
        public var promptTokens: Int
        public var promptTokensCached: Int
        /// Tokens generated since the model was loaded, by every request (finished or not).
        public var generatedTokens: Int
        public var generationTokensPerSecond: Double
        public var promptTokensPerSecond: Double
        /// Tokens prompt lookup guessed and had checked, those the model wrote too, and what a
        /// guessed token costs as a share of a written one, measured here (nil until measured).
        /// Nil from servers that do not say.
        public var draftTokens: Int?
        public var draftTokensAccepted: Int?
        public var draftCostRatio: Double?
        /// Estimated memory (weights and KV cache), in bytes.
        public var memoryBytes: Int64
        /// When the model unloads if no request comes (seconds since 1970); nil while busy or pinned.
        public var expiresAt: Double?

        enum CodingKeys: String, CodingKey {
            case name, provider, parallel
            case activeSequences = "active_sequences", queuedRequests = "queued_requests"
            case contextPerSequence = "context_per_sequence", promptTokens = "prompt_tokens"
            case promptTokensCached = "prompt_tokens_cached", generatedTokens = "generated_tokens"
            case generationTokensPerSecond = "generation_tokens_per_second", promptTokensPerSecond = "prompt_tokens_per_second"
            case memoryBytes = "memory_bytes", expiresAt = "expires_at"
            case draftTokens = "draft_tokens", draftTokensAccepted = "draft_tokens_accepted", draftCostRatio = "draft_cost_ratio"
        }

        public init(_ model: LoadedModel) {
            name = model.name
            provider = model.provider
            parallel = model.activity.parallel
            activeSequences = model.activity.activeSequences
            queuedRequests = model.activity.queuedRequests
            contextPerSequence = model.activity.contextPerSequence
            promptTokens = model.activity.promptTokens
            promptTokensCached = model.activity.promptTokensCached
            generatedTokens = model.activity.generatedTokens
            generationTokensPerSecond = model.activity.generationTokensPerSecond
            promptTokensPerSecond = model.activity.promptTokensPerSecond
            draftTokens = model.activity.draftTokens
            draftTokensAccepted = model.activity.draftTokensAccepted
            draftCostRatio = model.activity.draftCostRatio
            memoryBytes = model.memoryBytes
            expiresAt = model.expiresAt?.timeIntervalSince1970
        }
    }

    /// An external MCP server whose tools are skills.
    public struct MCPServer: Codable, Sendable, Equatable {
        public var name: String
        /// `starting`, `up` or `down`.
        public var state: String
        public var tools: Int
        public var error: String?
        public var restarts: Int

        public init(_ status: ExternalServerStatus) {
            name = status.name
            state = status.state.rawValue
            tools = status.tools
            error = status.error
            restarts = status.restarts
        }
    }

    /// A deployment of a routed model (`config.toml`) and how it is doing.
    public struct Deployment: Codable, Sendable, Equatable {
        public var model: String
        public var provider: String
        public var upstreamModel: String
        public var strategy: String
        /// `closed` (in use), `open` (left alone for a while) or `half-open` (being probed).
        public var circuit: String
        public var inFlight: Int
        public var firstTokenSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case model, provider, strategy, circuit
            case upstreamModel = "upstream_model", inFlight = "in_flight", firstTokenSeconds = "first_token_seconds"
        }

        public init(
            model: String, provider: String, upstreamModel: String, strategy: String, circuit: String, inFlight: Int,
            firstTokenSeconds: Double?
        ) {
            self.model = model
            self.provider = provider
            self.upstreamModel = upstreamModel
            self.strategy = strategy
            self.circuit = circuit
            self.inFlight = inFlight
            self.firstTokenSeconds = firstTokenSeconds
        }
    }

    public var models: [Model]
    /// Shown to administrators; empty for others and when none is configured.
    public var mcpServers: [MCPServer]
    /// Shown to administrators; empty for others and when no model is routed.
    public var deployments: [Deployment]

    enum CodingKeys: String, CodingKey {
        case models, deployments
        case mcpServers = "mcp_servers"
    }

    public init(models: [LoadedModel], mcpServers: [ExternalServerStatus] = [], deployments: [Deployment] = []) {
        self.models = models.map(Model.init)
        self.mcpServers = mcpServers.map(MCPServer.init)
        self.deployments = deployments
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        models = try container.decode([Model].self, forKey: .models)
        mcpServers = try container.decodeIfPresent([MCPServer].self, forKey: .mcpServers) ?? []
        deployments = try container.decodeIfPresent([Deployment].self, forKey: .deployments) ?? []
    }
}

/// `POST /hearth/providers/test`: each routed deployment asked for one token.
public struct ProviderProbes: Codable, Sendable {
    public struct Probe: Codable, Sendable {
        public var model: String
        public var provider: String
        public var upstreamModel: String
        public var ok: Bool
        public var error: String?
        public var seconds: Double

        enum CodingKeys: String, CodingKey {
            case model, provider, ok, error, seconds
            case upstreamModel = "upstream_model"
        }

        public init(model: String, provider: String, upstreamModel: String, error: String?, seconds: Double) {
            self.model = model
            self.provider = provider
            self.upstreamModel = upstreamModel
            ok = error == nil
            self.error = error
            self.seconds = seconds
        }
    }

    public var deployments: [Probe]

    public init(deployments: [Probe]) { self.deployments = deployments }
}

/// `POST /hearth/reload`: what `config.toml` routes now.
public struct GatewayReload: Codable, Sendable, Equatable {
    /// Every provider by name, `local` first.
    public var providers: [String]
    /// Routed model names and aliases.
    public var models: [String]

    public init(providers: [String], models: [String]) {
        self.providers = providers
        self.models = models
    }
}

/// `GET /hearth/settings` (administrators): the `HEARTH_*` settings in effect.
public struct HearthSettings: Codable, Sendable {
    public struct Setting: Codable, Sendable {
        public var name: String
        public var value: String
        public var help: String

        public init(_ setting: Configuration.Setting) {
            name = setting.name
            value = setting.value
            help = setting.help
        }
    }

    public var settings: [Setting]

    public init(settings: [Setting]) { self.settings = settings }
}
