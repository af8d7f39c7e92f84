import Foundation
import HearthCore
import Testing

@Suite struct ConfigurationTests {
    @Test func defaultsAreLoopbackWithTheDefaultModel() throws {
        let configuration = try Configuration(environment: ["HOME": "/home/u"])
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8420)
        #expect(configuration.models == ["smollm2:135m"])
        #expect(configuration.paths.models.path == "/home/u/.local/share/hearth/models")
        #expect(configuration.promptLookup == .auto)
        try configuration.validate()
    }

    @Test func environmentOverridesDefaults() throws {
        let configuration = try Configuration(environment: [
            "HEARTH_HOST": "0.0.0.0:9000", "HEARTH_MODELS": "gemma3:270m, smollm2:135m", "HEARTH_API_KEYS": "a,b",
            "HEARTH_PARALLEL": "2", "HEARTH_CONTEXT": "1024", "HEARTH_HOME": "/srv/hearth", "HEARTH_PROMPT_LOOKUP": "0",
        ])
        #expect(configuration.promptLookup == .off)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 9000)
        #expect(configuration.models == ["gemma3:270m", "smollm2:135m"])
        #expect(configuration.apiKeys == ["a", "b"])
        #expect(configuration.parallel == 2)
        #expect(configuration.contextPerSequence == 1024)
        #expect(configuration.paths.models.path == "/srv/hearth/models")
        try configuration.validate()
    }

    @Test func theSettingsShownToAdministratorsAreTheValuesInEffectWithoutKeys() throws {
        let configuration = try Configuration(environment: [
            "HEARTH_API_KEYS": "sk-secret-one,sk-secret-two", "HEARTH_API_KEY": "sk-client", "HEARTH_PARALLEL": "3",
            "HEARTH_KEEP_ALIVE": "1h", "HEARTH_HOME": "/srv/hearth", "OTEL_EXPORTER_OTLP_ENDPOINT": "https://me:sk-pass@otel.example/v1",
            "HEARTH_PYPI_INDEX": "https://me:sk-index@pypi.example/simple",
            "HEARTH_DATABASE_URL": "postgres://hearth:sk-db@db.example:5432/hearth",
            "HEARTH_REDIS_URL": "redis://:sk-redis@cache.example:6379/2", "HEARTH_NATS_URL": "nats://sk-nats@bus.example:4222",
        ])
        let settings = Dictionary(uniqueKeysWithValues: configuration.settings.map { ($0.name, $0.value) })
        #expect(settings["HEARTH_PARALLEL"] == "3")
        #expect(settings["HEARTH_KEEP_ALIVE"] == "3600s")
        #expect(settings["HEARTH_HOME"] == "/srv/hearth")
        #expect(settings["HEARTH_API_KEYS"] == "2 keys (not shown)")
        #expect(settings["HEARTH_API_KEY"] == nil, "the CLI's key is not the server's business")
        #expect(settings["OTEL_EXPORTER_OTLP_ENDPOINT"] == "https://otel.example/v1")
        #expect(settings["HEARTH_PYPI_INDEX"] == "https://pypi.example/simple")
        #expect(settings["HEARTH_DATABASE_URL"] == "postgres://db.example:5432/hearth")
        #expect(settings["HEARTH_REDIS_URL"] == "redis://cache.example:6379/2")
        #expect(settings["HEARTH_NATS_URL"] == "nats://bus.example:4222")
        #expect(!configuration.settings.contains { $0.value.contains("sk-") })
        #expect(configuration.settings.count == Configuration.variables.count - 1)
    }

    @Test func malformedValuesAreErrorsNamingTheVariable() {
        #expect(throws: HearthError.self) { try Configuration(environment: ["HEARTH_PARALLEL": "many"]) }
        #expect(throws: HearthError.self) { try Configuration(environment: ["HEARTH_DATABASE_URL": "mysql://db/hearth"]) }
        #expect(throws: HearthError.self) { try Configuration(environment: ["HEARTH_REDIS_URL": "rediss://cache:6380"]) }
        #expect(throws: HearthError.self) { try Configuration(environment: ["HEARTH_NATS_URL": "tls://bus:4222"]) }
        #expect(throws: HearthError.self) { try Configuration(environment: ["HEARTH_PROMPT_LOOKUP": "yes"]) }
        do {
            _ = try Configuration(environment: ["HEARTH_CONTEXT": "-5"])
            Issue.record("expected an error")
        } catch let error as HearthError {
            #expect(error.message.contains("HEARTH_CONTEXT"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func nonLoopbackBindNeedsAnAPIKeyOrUsers() throws {
        var configuration = Configuration()
        configuration.host = "0.0.0.0"
        #expect(throws: HearthError.self) { try configuration.validate() }
        try configuration.validate(hasUsers: true)
        configuration.apiKeys = ["k"]
        try configuration.validate()
    }

    @Test func hostTakesHostHostPortAndURLs() throws {
        let cases: [(String, String)] = [
            ("localhost", "http://localhost:8420"), ("0.0.0.0:9000", "http://0.0.0.0:9000"), (":9000", "http://127.0.0.1:9000"),
            ("http://127.0.0.1:8420", "http://127.0.0.1:8420"), ("http://example.com", "http://example.com:80"),
            ("https://example.com/ollama/", "https://example.com:443/ollama"), ("[::1]:9000", "http://[::1]:9000"),
            ("::1", "http://[::1]:8420"), ("HTTP://10.0.0.2:1234", "http://10.0.0.2:1234"),
        ]
        for (text, url) in cases {
            #expect(try ServerAddress(parsing: text).url == url, "\(text)")
        }
        for bad in ["", "ftp://host", "host:port", "a/b", "host:99999", "http://"] {
            #expect(throws: HearthError.self, "\(bad)") { try ServerAddress(parsing: bad) }
        }
        for (host, loopback) in [
            ("127.0.0.1", true), ("127.1.2.3", true), ("localhost", true), ("::1", true),
            ("127.evil.example", false), ("127.0.0.1.nip.io", false), ("10.0.0.2", false), ("0.0.0.0", false),
        ] {
            #expect(ServerAddress(host: host, port: 1).isLoopback == loopback, "\(host)")
        }
        let configuration = try Configuration(environment: ["HEARTH_HOST": "http://127.0.0.1:9001"])
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 9001)
        try configuration.validate()
        let remote = try Configuration(environment: ["HEARTH_HOST": "https://hearth.example.com", "HEARTH_API_KEYS": "k"])
        #expect(throws: HearthError.self) { try remote.validate() }
    }

    @Test func everyVariableIsDocumented() {
        for variable in Configuration.variables {
            // Hearth's own, or OpenTelemetry's standard one for traces.
            #expect(variable.name.hasPrefix("HEARTH_") || variable.name.hasPrefix("OTEL_"))
            #expect(!variable.help.isEmpty)
            #expect(!variable.defaultValue.isEmpty)
        }
    }

    @Test func generationParamsRejectOutOfRangeValues() throws {
        try GenerationParams(maxTokens: 1, temperature: 0, topP: 1).validate()
        #expect(throws: HearthError.self) { try GenerationParams(temperature: 3).validate() }
        #expect(throws: HearthError.self) { try GenerationParams(maxTokens: 0).validate() }
        #expect(throws: HearthError.self) { try GenerationParams(stop: [""]).validate() }
    }
}
