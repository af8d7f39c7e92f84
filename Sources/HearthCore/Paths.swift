import Foundation

/// Where Hearth keeps its files. `HEARTH_HOME` puts everything in one folder; otherwise
/// the XDG base directories are used.
public struct Paths: Sendable, Equatable {
    public var config: URL
    public var data: URL
    public var cache: URL

    /// The model store: `blobs/sha256-HEX` and `manifests/NAME/TAG.json`.
    public var models: URL { data.appending(path: "models", directoryHint: .isDirectory) }

    /// The knowledge base's SQLite database (WAL mode; `-wal` and `-shm` files beside it).
    public var knowledge: URL { data.appending(path: "knowledge.sqlite") }
    /// The server's secret for hashing API keys (32 random bytes, mode 600; keep it with the database).
    public var serverSecret: URL { data.appending(path: "server.secret") }

    /// Vector index files, one per collection, rebuilt from the database when missing.
    public var vectorIndexes: URL { data.appending(path: "vectors", directoryHint: .isDirectory) }

    /// The user's skills: one folder each, with a `SKILL.md` and a program.
    public var skills: URL { data.appending(path: "skills", directoryHint: .isDirectory) }

    /// The configuration file: remote providers and where models run (`[[providers]]`, `[[models]]`).
    public var configFile: URL { config.appending(path: "config.toml") }

    /// External MCP servers whose tools become skills, in the shape MCP hosts share
    /// (`{"mcpServers": {"NAME": {"command": …}}}`).
    public var mcpServers: URL { config.appending(path: "mcp.json") }

    /// The CLI's session token from `hearth login` (mode 600, in a folder created with mode
    /// 700); every command sends it when no API key is set, and `hearth logout` deletes it.
    public var sessionToken: URL { config.appending(path: "token") }

    public init(config: URL, data: URL, cache: URL) {
        self.config = config
        self.data = data
        self.cache = cache
    }

    /// Paths from an environment (the process's by default).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let home = environment["HEARTH_HOME"], !home.isEmpty {
            let root = URL(filePath: home, directoryHint: .isDirectory)
            self.init(config: root, data: root, cache: root.appending(path: "cache", directoryHint: .isDirectory))
            return
        }
        let user =
            environment["HOME"].map { URL(filePath: $0, directoryHint: .isDirectory) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        func base(_ variable: String, _ fallback: String) -> URL {
            if let value = environment[variable], !value.isEmpty { return URL(filePath: value, directoryHint: .isDirectory) }
            return user.appending(path: fallback, directoryHint: .isDirectory)
        }
        self.init(
            config: base("XDG_CONFIG_HOME", ".config").appending(path: "hearth", directoryHint: .isDirectory),
            data: base("XDG_DATA_HOME", ".local/share").appending(path: "hearth", directoryHint: .isDirectory),
            cache: base("XDG_CACHE_HOME", ".cache").appending(path: "hearth", directoryHint: .isDirectory))
    }
}
