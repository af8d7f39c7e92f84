import Foundation
import HearthCore

// The session of `hearth login`, kept in one file (`Paths.sessionToken`) that only its owner
// may read: every command's client sends it when no API key is set.

extension HearthClient {
    /// What every session token starts with (the server's `IdentityService.sessionPrefix`).
    static let sessionPrefix = "hts_"

    /// A session of `hearth login`: its token and the server (`ServerAddress.url`) that issued it.
    public struct StoredSession: Sendable, Equatable {
        public var token: String
        public var server: String
    }

    /// The session stored in `file`, nil when there is no such file. Read without following a
    /// link, and only when the file is a small regular file of the user running the command.
    /// - Parameter requiringPrivateMode: refuse a file that its group or others may read (only
    ///   `hearth logout`, which ends such a session, reads it anyway).
    /// - Throws: `HearthError.invalidRequest` for a file others may read (saying how to fix its
    ///   mode), that is no regular file of this user, or that holds no session; `.internalError`
    ///   when it cannot be read.
    public static func storedSession(at file: URL, requiringPrivateMode: Bool = true) throws -> StoredSession? {
        let descriptor = open(file.path, O_RDONLY | O_NOFOLLOW)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw fileError("cannot read", file)
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & 0o170000) == 0o100000, info.st_size <= 4096, info.st_uid == getuid()
        else {
            throw HearthError(.invalidRequest, "\(file.path) is not a session token file of yours; delete it and run hearth login")
        }
        let mode = info.st_mode & 0o777
        if requiringPrivateMode, (mode & 0o077) != 0 {
            throw HearthError(
                .invalidRequest,
                "\(file.path) has mode \(String(mode, radix: 8)); run chmod 600 \(file.path) "
                    + "(a session token must be readable by you alone; if others may have read it, hearth logout and sign in again)")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count == bytes.count else { throw fileError("cannot read", file) }
        let lines = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
        guard lines.count == 2, lines[0].hasPrefix(sessionPrefix), lines[0].count > sessionPrefix.count else {
            throw HearthError(.invalidRequest, "\(file.path) holds no session; delete it and run hearth login")
        }
        return StoredSession(token: lines[0], server: lines[1])
    }

    /// Stores `token`, issued by `server`, in `file` for later commands (sent only to that
    /// server, never to another `HEARTH_HOST`): its folder is created with mode 700 when
    /// missing, and the token is written to a new file of mode 600 beside it, then renamed
    /// over `file`, so that no reader ever sees a partial file or a wider mode.
    /// - Throws: `HearthError.internalError` naming what could not be created or written.
    public static func storeSession(_ token: String, server: String, at file: URL) throws {
        let folder = file.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw HearthError(.internalError, "cannot create \(folder.path): \(error.localizedDescription)")
        }
        let temporary = folder.appending(path: ".token-\(UUID().uuidString)")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw fileError("cannot create", temporary) }
        let bytes = Array((token + "\n" + server + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = written == bytes.count && fsync(descriptor) == 0
        let failure: HearthError? = synced ? nil : fileError("cannot write", temporary)
        close(descriptor)
        if let failure {
            unlink(temporary.path)
            throw failure
        }
        guard rename(temporary.path, file.path) == 0 else {
            let failure = fileError("cannot replace", file)
            unlink(temporary.path)
            throw failure
        }
    }

    /// Deletes the stored session token; no file is no error.
    /// - Throws: `HearthError.internalError` when the file stays.
    public static func forgetSession(at file: URL) throws {
        guard unlink(file.path) == 0 || errno == ENOENT else { throw fileError("cannot delete", file) }
    }

    /// A failure of a file call, with the system's reason (read from `errno` at once).
    private static func fileError(_ action: String, _ file: URL) -> HearthError {
        let reason = String(cString: strerror(errno))
        return HearthError(.internalError, "\(action) \(file.path): \(reason)")
    }
}
