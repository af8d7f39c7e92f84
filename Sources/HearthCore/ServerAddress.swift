import Foundation

/// Where a Hearth server listens, or where a client finds one: what `HEARTH_HOST` and
/// `AISH_HOST` say, in any of the forms Ollama's and OpenAI's users write: `host`,
/// `host:port`, `[::1]:port`, or a URL `http(s)://host[:port][/base]`. A bare host means
/// Hearth's port 8420; a URL without a port means its scheme's (80 or 443).
public struct ServerAddress: Sendable, Equatable, CustomStringConvertible {
    /// Hearth's port when an address names none.
    public static let defaultPort = 8420

    public var scheme: String
    /// The host without brackets (`::1`, not `[::1]`).
    public var host: String
    public var port: Int
    /// A path prefix the API lives under (`/ollama` behind a proxy), without a trailing slash.
    public var basePath: String

    public init(scheme: String = "http", host: String = "127.0.0.1", port: Int = ServerAddress.defaultPort, basePath: String = "") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    /// Parses `text` (see the type's description).
    /// - Throws: `HearthError.invalidRequest` saying which forms are accepted, naming `variable`.
    public init(parsing text: String, variable: String = "HEARTH_HOST") throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let invalid = HearthError.invalidRequest(
            "\(variable) must be host, host:port or http(s)://host:port, got '\(text)'")
        if let schemeEnd = trimmed.range(of: "://") {
            let scheme = trimmed[..<schemeEnd.lowerBound].lowercased()
            guard scheme == "http" || scheme == "https", let url = URL(string: trimmed), let host = url.host(percentEncoded: false),
                !host.isEmpty
            else { throw invalid }
            self.init(
                scheme: scheme, host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")),
                port: url.port ?? (scheme == "https" ? 443 : 80),
                basePath: url.path().hasSuffix("/") ? String(url.path().dropLast()) : url.path())
            return
        }
        guard !trimmed.isEmpty, !trimmed.contains("/") else { throw invalid }
        var host = trimmed
        var port = Self.defaultPort
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]") else { throw invalid }
            host = String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
            let rest = trimmed[trimmed.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let number = Int(rest.dropFirst()) else { throw invalid }
                port = number
            }
        } else if trimmed.filter({ $0 == ":" }).count == 1 {
            let parts = trimmed.split(separator: ":", omittingEmptySubsequences: false)
            guard let number = Int(parts[1]) else { throw invalid }
            host = parts[0].isEmpty ? "127.0.0.1" : String(parts[0])
            port = number
        }
        guard (0...65535).contains(port) else { throw invalid }
        self.init(host: host, port: port)
    }

    /// `http://host:port/base`, the base URL clients send requests under.
    public var url: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(bracketed):\(port)\(basePath)"
    }

    public var description: String { url }

    /// Whether only this machine can reach the address.
    public var isLoopback: Bool {
        if ["localhost", "::1"].contains(host) { return true }
        // An IPv4 address in 127.0.0.0/8, not a name that merely starts with "127.".
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil } && parts[0] == "127"
    }
}
