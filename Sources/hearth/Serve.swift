import ArgumentParser
import Foundation
import HearthApp
import HearthCore
import Hummingbird
import Logging
import OTel
import ServiceLifecycle
import Tracing

extension Hearth {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve models over the OpenAI-compatible HTTP API.",
            discussion: """
                Loads the models, then listens (127.0.0.1:8420 by default). Binding any
                other address needs at least one API key in HEARTH_API_KEYS.

                Environment variables (flags win over them):
                \(Configuration.variables.map { "  \($0.name) (default: \($0.defaultValue))\n      \($0.help)" }.joined(separator: "\n"))

                Examples:
                  hearth serve
                  hearth serve --model gemma3:270m --port 9000
                  HEARTH_API_KEYS=secret hearth serve --host 0.0.0.0
                  hearth serve --log-format json      # one JSON object per log line
                  HEARTH_NATS_URL=nats://127.0.0.1:4222 hearth serve --workers   # models on `hearth worker`s
                """)

        @Option(name: .long, help: "Address to bind (default 127.0.0.1).")
        var host: String?

        @Option(name: .long, help: "Port to listen on (default 8420).")
        var port: Int?

        @Option(name: .long, help: "A model to load (name:tag or a .gguf path); repeat for several. The first is the default.")
        var model: [String] = []

        @Option(name: .long, help: "Sequences each model serves at once (HEARTH_PARALLEL).")
        var parallel: Int?

        @Flag(name: .long, help: "Send generations and embeddings to `hearth worker`s over NATS (HEARTH_WORKERS=1).")
        var workers = false

        @OptionGroup var engine: EngineFlags

        @OptionGroup var log: LogFlags

        func validate() throws {
            if let port, !(1...65535).contains(port) { throw ValidationError("--port must be between 1 and 65535") }
            if let parallel, parallel < 1 { throw ValidationError("--parallel must be at least 1") }
        }

        func run() async throws {
            var configuration = try engine.configuration()
            if let host { configuration.host = host }
            if let port { configuration.port = port }
            if !model.isEmpty { configuration.models = model }
            if let parallel { configuration.parallel = parallel }
            if workers { configuration.usesWorkers = true }
            let logger = log.start()
            do {
                let app = try await HearthApplication.build(configuration, logger: logger, services: try Self.tracing(configuration))
                try await app.runService()
            } catch let error as HearthError {
                throw fail(error)
            }
        }
    }
}

extension Hearth.Serve {
    /// With OTEL_EXPORTER_OTLP_ENDPOINT set, a trace of each request (the server's span, the
    /// router's decision, each provider asked) is exported over OTLP/HTTP by the returned
    /// service; otherwise none.
    static func tracing(_ configuration: Configuration) throws -> [any Service] {
        guard configuration.tracesEndpoint != nil else { return [] }
        var settings = OTel.Configuration.default
        settings.serviceName = "hearth"
        settings.metrics.enabled = false
        settings.logs.enabled = false
        let backend = try OTel.makeTracingBackend(configuration: settings)
        InstrumentationSystem.bootstrap(backend.factory)
        return [backend.service]
    }
}
