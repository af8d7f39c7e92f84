import Foundation
import HearthCore

/// The server's folders a request may name (`HEARTH_INGEST_ROOTS`): ingestion reads from
/// them and the file skills list and read them. Paths are resolved (symbolic links too)
/// before they are checked, so no link leads out.
struct FileRoots: Sendable {
    /// Resolved, without trailing slash.
    let folders: [String]

    init(_ folders: [String]) {
        self.folders = folders.map { URL(filePath: $0).resolvingSymlinksInPath().path }
    }

    /// `path` resolved and checked: absolute, existing, without hidden parts (`.ssh`,
    /// `.config`, where keys and settings live) and inside a root.
    /// - Throws: `HearthError.invalidRequest` naming `field`.
    func checked(_ path: String, field: String) throws -> String {
        guard path.hasPrefix("/") else {
            throw HearthError.invalidRequest("paths must be absolute, got '\(path.prefix(200))'", field: field)
        }
        let resolved = URL(filePath: path).standardizedFileURL.resolvingSymlinksInPath()
        guard !resolved.pathComponents.contains(where: { $0.hasPrefix(".") && $0 != "." && $0 != ".." }) else {
            throw HearthError.invalidRequest("'\(path.prefix(200))' is hidden; hidden files and folders are not read", field: field)
        }
        guard folders.contains(where: { $0 == "/" || resolved.path == $0 || resolved.path.hasPrefix($0 + "/") }) else {
            throw HearthError.invalidRequest(
                "'\(path.prefix(200))' is outside the folders this server may read (HEARTH_INGEST_ROOTS)", field: field)
        }
        guard FileManager.default.fileExists(atPath: resolved.path) else {
            throw HearthError.invalidRequest("'\(path.prefix(200))' does not exist", field: field)
        }
        return resolved.path
    }
}
