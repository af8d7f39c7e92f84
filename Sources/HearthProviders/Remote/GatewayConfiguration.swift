import Foundation
import HearthCore
import HearthModels
import TOMLKit

/// The gateway's part of `config.toml`: remote providers, and public model names routed to
/// one or more deployments (tried in order; `local` is the in-process engine).
///
/// ```toml
/// [[providers]]
/// name = "backup"
/// base_url = "http://10.0.0.5:8080/v1"   # any OpenAI-compatible server
/// api_key_env = "BACKUP_KEY"              # or api_key = "…"
///
/// [[models]]
/// name = "smollm2:135m"
/// deployments = [{ provider = "local" }, { provider = "backup", model = "smollm2", context = 32768 }]
/// ```
public struct GatewayConfiguration: Sendable, Decodable, Equatable {
    public struct Provider: Sendable, Decodable, Equatable {
        public var name: String
        /// `openai` (the default; any OpenAI-compatible server, `base_url` up to `/v1`) or
        /// `ollama` (Ollama's native API, `base_url` its root).
        public var kind: String?
        public var baseURL: String
        public var apiKey: String?
        /// The environment variable holding the key (kept out of the file).
        public var apiKeyEnv: String?
        public var headers: [String: String]?
        /// Seconds to wait for the first byte (default 120).
        public var timeout: Int?

        enum CodingKeys: String, CodingKey {
            case name, kind, headers, timeout
            case baseURL = "base_url", apiKey = "api_key", apiKeyEnv = "api_key_env"
        }
    }

    public struct Model: Sendable, Decodable, Equatable {
        public struct Deployment: Sendable, Decodable, Equatable {
            public var provider: String
            /// The model's name there (default: the public name).
            public var model: String?
            /// The tokens a prompt may have there; longer ones go to the next deployment.
            public var context: Int?
            /// Its share under the `weighted` strategy (default 1).
            public var weight: Double?

            enum CodingKeys: String, CodingKey { case provider, model, context, weight }

            public init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                provider = try container.decode(String.self, forKey: .provider)
                model = try container.decodeIfPresent(String.self, forKey: .model)
                context = try container.decodeIfPresent(Int.self, forKey: .context)
                // TOML writes 3 and 3.0 differently; either is a weight. (Looked up only when
                // present: TOMLKit's decodeIfPresent of a Double fails on a missing key.)
                if container.contains(.weight) {
                    weight =
                        try (try? container.decode(Double.self, forKey: .weight)) ?? Double(container.decode(Int.self, forKey: .weight))
                }
            }
        }

        public var name: String
        /// Other names the model answers to, routed the same way.
        public var aliases: [String]?
        /// Other public models whose deployments get the request once this one's all failed.
        public var fallbacks: [String]?
        /// `priority` (default), `weighted`, `least-busy` or `lowest-latency`.
        public var strategy: RoutingStrategy?
        /// More rounds over the deployments when all failed with something passing (default 0).
        public var retries: Int?
        public var deployments: [Deployment]
    }

    public var providers: [Provider]
    public var models: [Model]

    public init(providers: [Provider] = [], models: [Model] = []) {
        self.providers = providers
        self.models = models
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        providers = try container.decodeIfPresent([Provider].self, forKey: .providers) ?? []
        models = try container.decodeIfPresent([Model].self, forKey: .models) ?? []
    }

    enum CodingKeys: String, CodingKey { case providers, models }

    /// The gateway settings of a `config.toml`; none when the file does not exist.
    /// - Throws: `HearthError.invalidRequest` naming the file and what is wrong in it.
    public static func load(from file: URL) throws -> GatewayConfiguration {
        guard let data = FileManager.default.contents(atPath: file.path) else { return GatewayConfiguration() }
        let configuration: GatewayConfiguration
        do {
            configuration = try TOMLDecoder().decode(GatewayConfiguration.self, from: String(decoding: data, as: UTF8.self))
        } catch {
            throw HearthError.invalidRequest("\(file.path) cannot be read: \(error)")
        }
        try configuration.validate(file.path)
        return configuration
    }

    func validate(_ file: String) throws {
        var names: Set = ["local"]
        for provider in providers {
            guard names.insert(provider.name).inserted else {
                throw HearthError.invalidRequest("\(file): two providers are named '\(provider.name)' ('local' is the engine's)")
            }
            guard ["openai", "ollama"].contains(provider.kind ?? "openai") else {
                throw HearthError.invalidRequest(
                    "\(file): provider '\(provider.name)' has kind '\(provider.kind ?? "")'; known: openai, ollama")
            }
            guard let url = URL(string: provider.baseURL), url.scheme == "http" || url.scheme == "https" else {
                throw HearthError.invalidRequest("\(file): provider '\(provider.name)' needs an http(s) base_url")
            }
        }
        var modelNames = Set<String>()
        for model in models {
            for name in [model.name] + (model.aliases ?? []) {
                guard !name.isEmpty, modelNames.insert(ModelStore.canonicalName(name)).inserted else {
                    throw HearthError.invalidRequest("\(file): the model name '\(name)' is empty or given twice (names and aliases)")
                }
            }
            guard !model.deployments.isEmpty else {
                throw HearthError.invalidRequest("\(file): model '\(model.name)' has no deployments")
            }
            for deployment in model.deployments where !names.contains(deployment.provider) {
                throw HearthError.invalidRequest("\(file): model '\(model.name)' names the unknown provider '\(deployment.provider)'")
            }
        }
    }

    /// The router over `local` (the in-process engine) and the configured providers, its
    /// circuits shared with other replicas through `circuits` when given.
    public func router(
        local: any InferenceProvider, circuits: (any SharedCircuits)? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> ProviderRouter {
        ProviderRouter(table(local: local, environment: environment), circuits: circuits)
    }

    /// What the router knows of `local` (the in-process engine) and the configured providers.
    public func table(local: any InferenceProvider, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> ProviderRouter.Table
    {
        var byName: [String: any InferenceProvider] = ["local": local]
        var remote: [any InferenceProvider] = []
        for provider in providers {
            let upstream = Set(
                models.flatMap { model in model.deployments.filter { $0.provider == provider.name }.map { $0.model ?? model.name } })
            let key = provider.apiKey ?? provider.apiKeyEnv.flatMap { environment[$0] }
            let built: any InferenceProvider =
                provider.kind == "ollama"
                ? OllamaProvider(
                    name: provider.name, baseURL: provider.baseURL, apiKey: key, headers: provider.headers ?? [:], models: upstream,
                    firstByteTimeout: Int64(provider.timeout ?? 120))
                : OpenAICompatibleProvider(
                    name: provider.name, baseURL: provider.baseURL, apiKey: key, headers: provider.headers ?? [:], models: upstream,
                    firstByteTimeout: Int64(provider.timeout ?? 120))
            byName[provider.name] = built
            remote.append(built)
        }
        // Public names as requests carry them once canonical (`team` is `team:latest`).
        var table = ProviderRouter.Table(providers: [local] + remote)
        for model in models {
            let deployments = model.deployments.map {
                let upstream = $0.model ?? ($0.provider == "local" ? ModelStore.canonicalName(model.name) : model.name)
                return ProviderRouter.Deployment(
                    provider: byName[$0.provider]!, model: upstream, context: $0.context, weight: $0.weight ?? 1)
            }
            for name in [model.name] + (model.aliases ?? []) {
                let name = ModelStore.canonicalName(name)
                table.routes[name] = deployments
                table.strategies[name] = model.strategy ?? .priority
                table.retries[name] = model.retries
                table.fallbacks[name] = model.fallbacks?.map(ModelStore.canonicalName)
            }
        }
        return table
    }
}

/// Reads `config.toml` again and routes by it from then on (SIGHUP, `hearth reload`).
public struct GatewayReloader: Sendable {
    public let file: URL
    let local: any InferenceProvider
    let router: ProviderRouter

    public init(file: URL, local: any InferenceProvider, router: ProviderRouter) {
        self.file = file
        self.local = local
        self.router = router
    }

    /// What a reload put in place.
    public struct Summary: Sendable, Equatable {
        public var providers: [String]
        public var models: [String]

        public init(providers: [String], models: [String]) {
            self.providers = providers
            self.models = models
        }
    }

    /// Swaps the router's table for the file's; requests already routed finish where they are.
    /// - Throws: `HearthError.invalidRequest` naming what is wrong in the file (the routes in
    ///   use stay as they were).
    public func reload() throws -> Summary {
        let table = try GatewayConfiguration.load(from: file).table(local: local)
        router.reload(table)
        return Summary(providers: table.providers.map(\.name), models: table.routes.keys.sorted())
    }
}
