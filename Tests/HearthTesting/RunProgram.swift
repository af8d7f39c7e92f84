import Foundation
import HearthCore

/// Runs the set-up's scripts and tools from tests.
public enum RunProgram {
    /// Runs a program on a thread of its own; returns its standard output, trimmed. Output
    /// goes through files, not pipes (a server it leaves running holds no pipe open), and the
    /// child is awaited with `waitpid` (Foundation's `Process` misses the exit of a script
    /// that leaves a daemon behind).
    /// - Throws: `HearthError.internalError` with its error output when it fails.
    @discardableResult
    public static func run(_ program: String, _ arguments: [String]) async throws -> String {
        try await onOwnThread("hearth-test-run") { try waiting(program, arguments) }
    }

    /// Runs a program on this thread and waits for it (see `run`).
    public static func waiting(_ program: String, _ arguments: [String]) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appending(path: "hearth-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (outputFile, errorFile) = (folder.appending(path: "out").path, folder.appending(path: "err").path)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errorFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, nil, argv, environ)
        guard spawned == 0 else { throw HearthError(.internalError, "cannot run \(program): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            let problem = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
            throw HearthError(.internalError, "\(program) \(arguments.first ?? "") failed (status \(status)): \(problem)")
        }
        return ((try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
