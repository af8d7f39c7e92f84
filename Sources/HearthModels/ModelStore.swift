import Crypto
import Foundation
import HearthCore
import Synchronization

/// The local model store: content-addressed blobs (`blobs/sha256-HEX`) and one small JSON
/// manifest per `name:tag` (`manifests/NAME/TAG.json`) pointing at a blob. A blob shared
/// by several names is stored once and removed with the last name that uses it. Blobs and
/// manifests appear atomically (written aside, then renamed): a half-written model is never visible.
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
        /// Set when the entry is a profile of another model.
        public var profile: Profile?
    }

    struct Manifest: Codable, Sendable {
        var name: String
        var format: String
        var blob: String
        var size: Int64
        var description: String?
        var profile: Profile?
    }

    public let root: URL
    /// Headers already read, by blob digest: a blob never changes, so neither does its header.
    private let headers = Headers()
    /// Manifests already read, by path, with the file's status when read: a request names a
    /// model, and reading its manifest again costs more than the rest of a gateway's work.
    private let decoded = ManifestCache()

    /// `manifests` as a path.
    private let manifestsPath: String

    public init(root: URL) {
        self.root = root
        manifestsPath = root.appending(path: "manifests").path
    }

    private final class Headers: Sendable {
        let byDigest = Mutex<[String: ModelMetadata]>([:])
    }

    private final class ManifestCache: Sendable {
        let byPath = Mutex<[String: (status: FileStatus, manifest: Manifest)]>([:])
    }

    /// The summary of the entry's GGUF header, read once per blob (listings ask often).
    /// - Throws: `HearthError.modelLoadFailed` when the blob is unreadable or not GGUF.
    public func metadata(of entry: Entry) throws -> ModelMetadata {
        if let known = headers.byDigest.withLock({ $0[entry.digest] }) { return known }
        let metadata = try ModelMetadata.read(entry.blob)
        headers.byDigest.withLock { $0[entry.digest] = metadata }
        return metadata
    }

    var blobs: URL { root.appending(path: "blobs", directoryHint: .isDirectory) }
    var manifests: URL { root.appending(path: "manifests", directoryHint: .isDirectory) }

    /// `name` with `:latest` added when it has no tag, as Ollama does.
    public static func canonical(_ name: String) -> String {
        name.contains(":") ? name : name + ":latest"
    }

    /// The name a model is known by everywhere (answers, metrics, loaded models): `name:tag`,
    /// `:latest` added when the tag is left out, as Ollama does; file paths stay as they are.
    public static func canonicalName(_ model: String) -> String {
        isPath(model) ? model : canonical(model)
    }

    /// Whether `name` looks like a file path rather than a store name.
    public static func isPath(_ name: String) -> Bool {
        name.hasPrefix("/") || name.hasPrefix("./") || name.hasPrefix("../") || name.hasPrefix("~")
            || name.hasSuffix(".gguf")
    }

    /// The `(name, tag)` of a valid store name: letters, digits, `.`, `_`, `-`, not starting with a dot.
    static func parts(_ name: String) -> (String, String)? {
        let parts = canonical(name).split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2,
            parts.allSatisfy({ !$0.isEmpty && !$0.hasPrefix(".") && $0.unicodeScalars.allSatisfy(isAllowed) })
        else { return nil }
        return (parts[0], parts[1])
    }

    /// Letters and digits of any script, `.`, `_`, `-` (ASCII without Foundation: every
    /// request's model name goes through here).
    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": return true
        case _ where scalar.isASCII: return false
        default: return nonASCIIAllowed.contains(scalar)
        }
    }

    private static let nonASCIIAllowed = CharacterSet.alphanumerics

    /// The name's name and tag.
    /// - Throws: `HearthError.invalidRequest` when `name` is not a valid model name.
    public static func validParts(_ name: String) throws -> (String, String) {
        guard let parts = parts(name) else {
            throw HearthError(.invalidRequest, "\"\(name)\" is not a valid model name: use name:tag with letters, digits, '.', '_' or '-'")
        }
        return parts
    }

    /// Installed models, sorted by name.
    public func list() throws -> [Entry] {
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
        guard let (model, tag) = Self.parts(name) else { return nil }
        // A path from strings: every request looks its model up here, most often in vain.
        let path = manifestsPath + "/\(model)/\(tag).json"
        guard FileStatus(of: path) != nil else { return nil }
        return try read(URL(filePath: path))
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

    /// A new file name in the blobs folder for writing a blob before it is installed
    /// (same file system, so installing is a rename).
    public func scratchFile(_ label: String) throws -> URL {
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        return blobs.appending(path: ".\(label)-\(UUID().uuidString).partial")
    }

    /// Moves `file` into the store as the blob of `digest` (`sha256:HEX`), unless that blob
    /// is already there, and returns the blob's URL. `file` is gone afterwards either way.
    public func installBlob(_ file: URL, digest: String) throws -> URL {
        let blob = blobURL(digest)
        if FileManager.default.fileExists(atPath: blob.path) {
            try? FileManager.default.removeItem(at: file)
        } else {
            try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
            guard rename(file.path, blob.path) == 0 else {
                throw HearthError(
                    .internalError, "cannot move the model file into the store",
                    detail: "\(file.path) to \(blob.path): \(String(cString: strerror(errno)))")
            }
        }
        return blob
    }

    /// Hashes `file`, moves it into the store and names it `name`, replacing what that name was.
    /// - Throws: `HearthError.invalidRequest` for an invalid name.
    @discardableResult
    public func install(_ file: URL, as name: String, description: String = "") throws -> Entry {
        _ = try Self.validParts(name)
        let digest = try Self.sha256(of: file)
        _ = try installBlob(file, digest: digest)
        try self.name(digest: digest, as: name, description: description)
        guard let entry = try entry(name) else { throw HearthError(.internalError, "\(name) vanished while being installed") }
        return entry
    }

    /// Points `name` at the installed blob `digest` (`sha256:HEX`), replacing what that name was.
    /// - Throws: `HearthError.invalidRequest` for an invalid name.
    public func name(digest: String, as name: String, description: String = "") throws {
        let blob = blobURL(digest)
        let size = (try FileManager.default.attributesOfItem(atPath: blob.path)[.size] as? NSNumber)?.int64Value ?? 0
        let format =
            WhisperFile.recognises(blob)
            ? "whisper" : PiperVoiceFile.recognises(blob) ? "piper" : ModelMetadata.isTFLite(blob) ? "tflite" : "gguf"
        try write(Manifest(name: Self.canonical(name), format: format, blob: digest, size: size, description: description))
    }

    /// Gives the model `source` a second name; the blob is shared, not copied.
    /// - Throws: `HearthError.modelNotFound` when `source` is not installed, `.invalidRequest` for a bad name.
    public func copy(_ source: String, to destination: String) throws {
        _ = try Self.validParts(destination)
        guard let (model, tag) = Self.parts(source), let data = try? Data(contentsOf: manifests.appending(path: "\(model)/\(tag).json")),
            var manifest = try? JSONDecoder().decode(Manifest.self, from: data)
        else { throw HearthError.modelNotFound(source) }
        manifest.name = Self.canonical(destination)
        try write(manifest)
    }

    /// Installs `profile` as `name`: a new name for its base's file, carrying the profile
    /// (on top of the base's own profile, when the base is one).
    /// - Throws: `HearthError.modelNotFound` when the base is not installed, `.invalidRequest` for a bad name.
    @discardableResult
    public func create(_ name: String, profile: Profile) throws -> Entry {
        _ = try Self.validParts(name)
        guard let base = try entry(profile.from) else { throw HearthError.modelNotFound(profile.from) }
        var profile = profile.inheriting(from: base.profile)
        profile.from = base.name
        try write(
            Manifest(
                name: Self.canonical(name), format: "gguf", blob: base.digest, size: base.size,
                description: "profile of \(base.name)", profile: profile))
        guard let entry = try entry(name) else { throw HearthError(.internalError, "\(name) vanished while being created") }
        return entry
    }

    /// Removes the name; removes its blob too when no other name uses it.
    /// - Returns: whether the blob was removed (and how many bytes that freed).
    /// - Throws: `HearthError.modelNotFound` when `name` is not installed.
    @discardableResult
    public func remove(_ name: String) throws -> Int64 {
        guard let (model, tag) = Self.parts(name) else { throw HearthError.modelNotFound(name) }
        let file = manifests.appending(path: "\(model)/\(tag).json")
        guard let data = try? Data(contentsOf: file), let manifest = try? JSONDecoder().decode(Manifest.self, from: data) else {
            throw HearthError.modelNotFound(name)
        }
        try FileManager.default.removeItem(at: file)
        try? FileManager.default.removeItem(at: file.deletingLastPathComponent())  // only succeeds when empty
        guard !referencedDigests().contains(manifest.blob) else { return 0 }
        let blob = blobURL(manifest.blob)
        let size = (try? FileManager.default.attributesOfItem(atPath: blob.path)[.size] as? NSNumber)?.int64Value ?? 0
        try? FileManager.default.removeItem(at: blob)
        return size
    }

    /// Bytes taken by blobs (each counted once, however many names use it).
    public func diskUsage() -> Int64 {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: blobs.path)) ?? []
        return files.filter { $0.hasPrefix("sha256-") }.reduce(0) { total, file in
            total
                + ((try? FileManager.default.attributesOfItem(atPath: blobs.appending(path: file).path)[.size] as? NSNumber)?.int64Value
                    ?? 0)
        }
    }

    /// `sha256:HEX` of a file's contents.
    public static func sha256(of file: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hex(hasher.finalize())
    }

    /// `sha256:HEX` of bytes.
    public static func sha256(of data: Data) -> String {
        hex(SHA256.hash(data: data))
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        "sha256:" + digest.map { String(format: "%02x", $0) }.joined()
    }

    func blobURL(_ digest: String) -> URL {
        blobs.appending(path: "sha256-" + digest.replacingOccurrences(of: "sha256:", with: ""))
    }

    private func referencedDigests() -> Set<String> {
        var digests = Set<String>()
        for model in (try? FileManager.default.contentsOfDirectory(atPath: manifests.path)) ?? [] {
            let folder = manifests.appending(path: model)
            for file in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] {
                if let data = try? Data(contentsOf: folder.appending(path: file)),
                    let manifest = try? JSONDecoder().decode(Manifest.self, from: data)
                {
                    digests.insert(manifest.blob)
                }
            }
        }
        return digests
    }

    private func write(_ manifest: Manifest) throws {
        let (model, tag) = try Self.validParts(manifest.name)
        let folder = manifests.appending(path: model, directoryHint: .isDirectory)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: folder.appending(path: "\(tag).json"), options: .atomic)
    }

    /// The entry of a manifest file, decoded again only when the file changed.
    private func read(_ file: URL) throws -> Entry {
        let path = file.path
        let status = FileStatus(of: path)
        var manifest = status.flatMap { status in decoded.byPath.withLock { $0[path] }.flatMap { $0.status == status ? $0.manifest : nil } }
        if manifest == nil {
            do {
                manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: file))
            } catch {
                throw HearthError(.modelLoadFailed, "a model manifest is unreadable", detail: "\(path): \(error)")
            }
            if let status, let manifest { decoded.byPath.withLock { $0[path] = (status, manifest) } }
        }
        guard let manifest else { throw HearthError(.modelLoadFailed, "a model manifest is unreadable", detail: path) }
        let blob = blobURL(manifest.blob)
        guard let blobStatus = FileStatus(of: blob.path) else {
            throw HearthError(
                .modelLoadFailed, "the file of \(manifest.name) is missing from the model store; reinstall it", detail: "\(root.path)/blobs"
            )
        }
        return Entry(
            name: manifest.name, blob: blob, digest: manifest.blob, size: blobStatus.size,
            modified: status?.modified ?? Date(timeIntervalSince1970: 0), description: manifest.description ?? "",
            profile: manifest.profile)
    }
}

/// What `stat` says of a file that identifies a version of it: a manifest rewritten (always
/// aside, then renamed) gets another inode. Nil when the file does not exist.
struct FileStatus: Equatable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var seconds: Int
    var nanoseconds: Int

    init?(of path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        (device, inode, size) = (UInt64(info.st_dev), UInt64(info.st_ino), Int64(info.st_size))
        (seconds, nanoseconds) = (info.st_mtim.tv_sec, info.st_mtim.tv_nsec)
    }

    var modified: Date { Date(timeIntervalSince1970: TimeInterval(seconds) + TimeInterval(nanoseconds) / 1e9) }
}
