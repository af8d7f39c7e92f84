import Foundation
import HearthCore

/// Where aish sends requests and with which model: flags, then `AISH_*` variables (and
/// `HEARTH_HOST`), then the config file (`$XDG_CONFIG_HOME/aish/config`, `KEY=value` lines
/// with the same names), then defaults (a Hearth server on 127.0.0.1:8420, smollm2:135m).
public struct Settings: Sendable, Equatable {
    /// An OpenAI-compatible server (Hearth, llama-server, Ollama, OpenAI).
    public var server: ServerAddress
    public var model: String
    /// Sent as `Authorization: Bearer …` when set.
    public var apiKey: String?

    public static let variables: [(name: String, help: String)] = [
        ("AISH_HOST", "host:port or URL (else HEARTH_HOST, else 127.0.0.1:8420)"),
        ("AISH_MODEL", "model to ask (default smollm2:135m)"),
        ("AISH_API_KEY", "API key (else HEARTH_API_KEY, else OPENAI_API_KEY, else the first HEARTH_API_KEYS)"),
    ]

    /// Settings from an environment and the config file it points to.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let file = Self.configFile(environment).flatMap { try? String(contentsOf: $0, encoding: .utf8) }.map(Self.parse) ?? [:]
        func value(_ names: String...) -> String? {
            for name in names { if let v = environment[name], !v.isEmpty { return v } }
            for name in names { if let v = file[name], !v.isEmpty { return v } }
            return nil
        }
        server = value("AISH_HOST", "HEARTH_HOST").flatMap { try? ServerAddress(parsing: $0, variable: "AISH_HOST") } ?? ServerAddress()
        model = value("AISH_MODEL") ?? "smollm2:135m"
        apiKey =
            value("AISH_API_KEY", "HEARTH_API_KEY", "OPENAI_API_KEY")
            ?? value("HEARTH_API_KEYS")?.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static func configFile(_ environment: [String: String]) -> URL? {
        folder("XDG_CONFIG_HOME", else: ".config", environment)?.appending(path: "aish/config")
    }

    /// Where interactive mode keeps its history: `$XDG_STATE_HOME/aish/history`.
    public static func historyFile(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        (folder("XDG_STATE_HOME", else: ".local/state", environment) ?? URL(filePath: "/tmp/.local/state")).appending(path: "aish/history")
    }

    /// An XDG base folder: `$variable`, else `$HOME/fallback`.
    private static func folder(_ variable: String, else fallback: String, _ environment: [String: String]) -> URL? {
        environment[variable].map { URL(filePath: $0) } ?? environment["HOME"].map { URL(filePath: $0).appending(path: fallback) }
    }

    static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { values[parts[0]] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"'")) }
        }
        return values
    }
}
