import Foundation
import HearthCore

/// The local model store: content-addressed blobs (`blobs/sha256-HEX`) and one small JSON
/// manifest per `name:tag` (`manifests/NAME/TAG.json`) pointing at a blob. The set-up
/// (`scripts/setup-models.py`) installs catalog models here.
public struct ModelStore: Sendable {
    /// One installed model.
    public struct Entry: Sendable, Equatable {
        /// `name:tag`.
        public var name: String
        public var blob: URL
        /// `sha256:HEX`.
        public var digest: String
        public var size: Int64
        public var modified: Date
        public var description: String
    }

    private struct Manifest: Codable {
        var name: String
        var format: String
        var blob: String
        var size: Int64
        var description: String?
    }

    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    /// `name` with `:latest` added when it has no tag, as Ollama does.
    public static func canonical(_ name: String) -> String {
        name.contains(":") ? name : name + ":latest"
    }

    /// Whether `name` looks like a file path rather than a store name.
    public static func isPath(_ name: String) -> Bool {
        name.hasPrefix("/") || name.hasPrefix("./") || name.hasPrefix("../") || name.hasPrefix("~")
            || name.hasSuffix(".gguf")
    }

    /// Installed models, sorted by name.
    public func list() throws -> [Entry] {
        let manifests = root.appending(path: "manifests", directoryHint: .isDirectory)
        guard let models = try? FileManager.default.contentsOfDirectory(atPath: manifests.path) else { return [] }
        var entries: [Entry] = []
        for model in models {
            let folder = manifests.appending(path: model, directoryHint: .isDirectory)
            for file in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where file.hasSuffix(".json") {
                if let entry = try? read(folder.appending(path: file)) { entries.append(entry) }
            }
        }
        return entries.sorted { $0.name < $1.name }
    }

    /// The installed model called `name` (`name` or `name:tag`), or nil.
    /// - Throws: `HearthError` when the manifest exists but is unreadable or its blob is missing.
    public func entry(_ name: String) throws -> Entry? {
        let parts = Self.canonical(name).split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[0].contains("/"), !parts[1].contains("/"),
            !parts[0].hasPrefix("."), !parts[1].hasPrefix(".")
        else { return nil }
        let file = root.appending(path: "manifests/\(parts[0])/\(parts[1]).json")
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        return try read(file)
    }

    /// The GGUF file for a store name or a path.
    /// - Throws: `HearthError.modelNotFound` when neither exists.
    public func resolve(_ nameOrPath: String) throws -> URL {
        if Self.isPath(nameOrPath) {
            let path = (nameOrPath as NSString).expandingTildeInPath
            guard FileManager.default.fileExists(atPath: path) else { throw HearthError.modelNotFound(nameOrPath) }
            return URL(filePath: path)
        }
        guard let entry = try entry(nameOrPath) else { throw HearthError.modelNotFound(nameOrPath) }
        return entry.blob
    }

    private func read(_ file: URL) throws -> Entry {
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: file))
        } catch {
            throw HearthError(.modelLoadFailed, "the manifest \(file.path) is unreadable: \(error)")
        }
        let hex = manifest.blob.replacingOccurrences(of: "sha256:", with: "")
        let blob = root.appending(path: "blobs/sha256-\(hex)")
        let attributes = try? FileManager.default.attributesOfItem(atPath: blob.path)
        guard let attributes else {
            throw HearthError(.modelLoadFailed, "the blob of \(manifest.name) is missing from \(root.path)/blobs; reinstall it")
        }
        let modified = (try? FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date) ?? nil
        return Entry(
            name: manifest.name, blob: blob, digest: manifest.blob,
            size: (attributes[.size] as? NSNumber)?.int64Value ?? manifest.size,
            modified: modified ?? Date(timeIntervalSince1970: 0), description: manifest.description ?? "")
    }
}
