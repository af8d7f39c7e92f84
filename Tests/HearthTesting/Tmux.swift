import Foundation
import Testing

/// A tmux server of its own (own socket) running one command in a terminal, for tests that
/// drive terminal programs as a user would: send keys, read the screen.
public struct Tmux: Sendable {
    let socket = "hearth-test-\(UUID().uuidString.prefix(8))"
    public let folder: URL

    public init(folder: URL) {
        self.folder = folder
    }

    /// Runs `command` (a shell line) in `folder`; the screen stays readable after it ends.
    public func start(_ command: String) throws {
        let line = "cd '\(folder.path)' && \(command); echo COMMAND-ENDED"
        // The tmux server this starts outlives the client and would inherit the descriptor
        // Foundation's Process watches for the child's exit, so spawn and wait directly.
        try Self.spawn(["-L", socket, "new-session", "-d", "-x", "160", "-y", "40", line, ";", "set-option", "-g", "remain-on-exit", "on"])
    }

    public func send(_ keys: String...) throws { try Self.tmux(["-L", socket, "send-keys", "-t", "0"] + keys) }

    public func screen() throws -> String { try Self.tmux(["-L", socket, "capture-pane", "-p", "-t", "0", "-S", "-200"]) }

    /// Waits (up to `seconds`) until the screen shows `text` `count` times; records the screen and throws otherwise.
    @discardableResult
    public func waitFor(_ text: String, count: Int = 1, seconds: Double = 20) async throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let screen = try screen()
            if screen.components(separatedBy: text).count - 1 >= count { return screen }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting for \(text); the screen:\n\((try? screen()) ?? "")")
        throw CancellationError()
    }

    public func stop() { _ = try? Self.tmux(["-L", socket, "kill-server"]) }

    @discardableResult
    static func tmux(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/tmux")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Closes every descriptor but the standard three, then runs tmux with the arguments: the
    /// tmux server outlives this call and would otherwise keep the test runner's sockets open
    /// (a listening server's, a client's connection that a test closes to cancel a request),
    /// so that other tests' servers never saw their clients leave.
    static let closingDescriptors = """
        for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] 2>/dev/null && eval "exec $n>&-" 2>/dev/null; done
        exec /usr/bin/tmux "$@"
        """

    static func spawn(_ arguments: [String]) throws {
        let argv = (["/bin/bash", "-c", closingDescriptors, "tmux"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // The test runner ignores or blocks signals (SIGHUP, SIGCHLD); give tmux and its panes
        // the defaults back, so that kill-server ends them.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGHUP, SIGPIPE, SIGINT, SIGTERM, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/bin/bash", nil, &attributes, argv, environ) == 0 else { throw CocoaError(.executableLoad) }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
