import Foundation
import HearthCore

/// A file to ingest.
public struct SourceFile: Sendable, Equatable {
    public var url: URL
    public var bytes: Int64
    public var kind: FileKind
}

/// Finds the files under some paths: folders recursively, honouring `.gitignore` files,
/// leaving out hidden entries, symbolic links and files no loader reads; files over the
/// size limit are reported, not silently dropped.
public struct SourceWalker: Sendable {
    public var maxFileBytes: Int64

    public init(maxFileBytes: Int64 = 10 << 20) {
        self.maxFileBytes = maxFileBytes
    }

    public struct Result: Sendable {
        public var files: [SourceFile] = []
        /// Files left out with the reason (too large, unreadable).
        public var problems: [IngestionJob.Problem] = []
        /// Files of kinds no loader reads, left out.
        public var unsupported = 0
    }

    /// - Throws: `HearthError.invalidRequest` when a path does not exist.
    public func walk(_ paths: [URL]) throws -> Result {
        var result = Result()
        for path in paths {
            let path = path.standardizedFileURL
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
                throw HearthError.invalidRequest("\(path.path) does not exist")
            }
            if isDirectory.boolValue {
                walk(folder: path, ignores: [], into: &result)
            } else if let kind = FileKind.detect(path) {
                consider(path, kind: kind, into: &result)
            } else {
                result.problems.append(.init(path: path.path, reason: "no loader reads this kind of file"))
            }
        }
        return result
    }

    private func walk(folder: URL, ignores: [(URL, Gitignore)], into result: inout Result) {
        var ignores = ignores
        if let text = try? String(contentsOf: folder.appending(path: ".gitignore"), encoding: .utf8) {
            ignores.append((folder, Gitignore(text)))
        }
        let entries: [URL]
        do {
            entries = try FileManager.default.contentsOfDirectory(
                at: folder, includingPropertiesForKeys: [.isDirectoryKey, .isSymbolicLinkKey, .fileSizeKey, .isRegularFileKey]
            ).sorted { $0.path < $1.path }
        } catch {
            result.problems.append(.init(path: folder.path, reason: "cannot read the folder: \(error.localizedDescription)"))
            return
        }
        for entry in entries where !entry.lastPathComponent.hasPrefix(".") {
            let values = try? entry.resourceValues(forKeys: [.isDirectoryKey, .isSymbolicLinkKey, .isRegularFileKey])
            if values?.isSymbolicLink == true { continue }
            let isDirectory = values?.isDirectory == true
            if ignored(entry, isDirectory: isDirectory, ignores) { continue }
            if isDirectory {
                walk(folder: entry, ignores: ignores, into: &result)
            } else if values?.isRegularFile == true {
                if let kind = FileKind.detect(entry) { consider(entry, kind: kind, into: &result) } else { result.unsupported += 1 }
            }
        }
    }

    private func consider(_ url: URL, kind: FileKind, into result: inout Result) {
        let bytes = (try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize).flatMap { $0 }.map(Int64.init) ?? 0
        guard bytes <= maxFileBytes else {
            result.problems.append(
                .init(path: url.path, reason: "larger than the limit (\(bytes) bytes > \(maxFileBytes)); raise it with --max-file-size"))
            return
        }
        result.files.append(SourceFile(url: url, bytes: bytes, kind: kind))
    }

    private func ignored(_ url: URL, isDirectory: Bool, _ ignores: [(URL, Gitignore)]) -> Bool {
        var verdict = false
        for (folder, rules) in ignores {
            let relative = String(url.path.dropFirst(folder.path.count + 1))
            if let decided = rules.verdict(relative, isDirectory: isDirectory) { verdict = decided }
        }
        return verdict
    }
}
