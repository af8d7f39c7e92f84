import Foundation

extension Configuration {
    /// One setting as the server runs with it, for administrators to read (`/hearth/settings`).
    public struct Setting: Sendable, Equatable {
        public var name: String
        public var value: String
        public var help: String
    }

    /// Every variable a server reads (`HEARTH_*`, the trace endpoint) with the value in
    /// effect; keys are counted, never shown, nor credentials in URLs; the CLI's key is left out.
    public var settings: [Setting] {
        let values: [String: String] = [
            "HEARTH_HOST": address.description,
            "HEARTH_MODELS": models.joined(separator: ","),
            "HEARTH_EMBEDDING_MODEL": embeddingModel,
            "HEARTH_SPEECH_MODEL": speechModel,
            "HEARTH_VOICE": voice,
            "HEARTH_API_KEYS": apiKeys.isEmpty ? "none" : "\(apiKeys.count) key\(apiKeys.count == 1 ? "" : "s") (not shown)",
            "HEARTH_INGEST_ROOTS": ingestRoots.joined(separator: ":"),
            "HEARTH_PARALLEL": String(parallel),
            "HEARTH_CONTEXT": String(contextPerSequence),
            "HEARTH_QUEUE": String(maxQueue),
            "HEARTH_THREADS": String(threads),
            "HEARTH_PROMPT_LOOKUP": promptLookup.rawValue,
            "HEARTH_MAX_BODY": String(maxBodyBytes),
            "HEARTH_CACHE_MB": String(answerCacheBytes >> 20),
            "HEARTH_SEMANTIC_CACHE": semanticCacheModels.sorted().joined(separator: ","),
            "HEARTH_DATABASE_URL": databaseURL.map(Self.withoutCredentials) ?? "none",
            "HEARTH_REDIS_URL": redisURL.map(Self.withoutCredentials) ?? "none",
            "HEARTH_NATS_URL": natsURL.map(Self.withoutCredentials) ?? "none",
            "HEARTH_WORKERS": usesWorkers ? "1" : "0",
            "OTEL_EXPORTER_OTLP_ENDPOINT": tracesEndpoint.map(Self.withoutCredentials) ?? "none",
            "HEARTH_KEEP_ALIVE": keepAlive < 0 ? "-1" : "\(Int(keepAlive))s",
            "HEARTH_MAX_MEMORY": "\(maxMemoryBytes >> 20) MB",
            "HEARTH_PYPI_INDEX": Self.withoutCredentials(packageIndex),
            "HEARTH_HOME": paths.data.path,
        ]
        return Self.variables.compactMap { variable in
            values[variable.name].map { Setting(name: variable.name, value: $0, help: variable.help) }
        }
    }

    /// `url` without a user and password in it.
    static func withoutCredentials(_ url: String) -> String {
        guard var parts = URLComponents(string: url) else { return url.contains("@") ? "(not shown)" : url }
        guard parts.user != nil || parts.password != nil else { return url }
        (parts.user, parts.password) = (nil, nil)
        return parts.string ?? "(not shown)"
    }
}
