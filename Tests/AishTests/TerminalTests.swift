import Foundation
import HearthCore
import HearthTesting
import HummingbirdTesting
import Testing

/// `aish` in a real terminal (tmux), against a scripted server: propose → confirm → run,
/// edit, cancel, a typed yes for a risky command, and nothing run without a terminal.
@Suite(.serialized) struct TerminalTests {
    static let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let aish = root.appending(path: ".build/debug/aish").path

    func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appending(path: "aish-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appending(path: "scratch"), withIntermediateDirectories: true)
        return folder
    }

    func exists(_ folder: URL, _ name: String) -> Bool { FileManager.default.fileExists(atPath: folder.appending(path: name).path) }

    /// Runs `aish ARGUMENTS` in tmux, in a fresh folder holding `scratch/` (its history in
    /// `state/`), against the scripted server; `body` drives it.
    func withAish(_ arguments: String, _ body: @escaping @Sendable (Tmux, URL) async throws -> Void) async throws {
        let folder = try folder()
        try await ScriptedServer.standard.application().test(.live) { client in
            let tmux = Tmux(folder: folder)
            defer { tmux.stop() }
            try tmux.start("AISH_HOST=127.0.0.1:\(client.port!) XDG_STATE_HOME=\(folder.path)/state NO_COLOR=1 \(Self.aish) \(arguments)")
            try await body(tmux, folder)
        }
    }

    @Test func enterRunsTheProposalAndReportsItsStatus() async throws {
        try await withAish("say hello") { tmux, folder in
            let screen = try await tmux.waitFor("Run it?")
            #expect(screen.contains("$ echo hello-from-aish > made-by-aish.txt && echo done"))
            #expect(screen.contains("Writes a greeting into a file."))
            #expect(!exists(folder, "made-by-aish.txt"))
            try tmux.send("Enter")
            _ = try await tmux.waitFor("exit status 0")
            #expect(try String(contentsOf: folder.appending(path: "made-by-aish.txt"), encoding: .utf8) == "hello-from-aish\n")
        }
    }

    @Test func eEditsTheCommandBeforeRunningIt() async throws {
        try await withAish("say hello") { tmux, folder in
            _ = try await tmux.waitFor("Run it?")
            try tmux.send("e", "Enter")
            _ = try await tmux.waitFor("edit (Enter keeps it)")
            try tmux.send("echo edited > edited.txt", "Enter")
            _ = try await tmux.waitFor("Run it?", count: 2)
            try tmux.send("Enter")
            _ = try await tmux.waitFor("exit status 0")
            #expect(exists(folder, "edited.txt"))
            #expect(!exists(folder, "made-by-aish.txt"))
        }
    }

    /// A follow-up refers to the command as edited and run, not as first proposed: the
    /// scripted server answers "and then" with `cat made-by-aish.txt` only when an earlier
    /// turn holds the unedited greeting command.
    @Test func aFollowUpSeesTheCommandAsEdited() async throws {
        try await withAish("") { tmux, _ in
            _ = try await tmux.waitFor("aish>")
            try tmux.send("say hello", "Enter")
            _ = try await tmux.waitFor("Run it?")
            try tmux.send("e", "Enter")
            _ = try await tmux.waitFor("edit (Enter keeps it)")
            try tmux.send("echo edited-by-hand", "Enter")
            _ = try await tmux.waitFor("Run it?", count: 2)
            try tmux.send("Enter")
            _ = try await tmux.waitFor("edited-by-hand\nexit status 0")
            try tmux.send("and then show it", "Enter")
            let screen = try await tmux.waitFor("Does nothing.")
            #expect(!screen.contains("$ cat made-by-aish.txt"))
            try tmux.send("n", "Enter")
            try tmux.send("/exit", "Enter")
            _ = try await tmux.waitFor("COMMAND-ENDED")
        }
    }

    /// `x` explains; then `n` cancels, aish ends and nothing ran.
    @Test func xExplainsThenNCancelsAndNothingRuns() async throws {
        try await withAish("say hello") { tmux, folder in
            _ = try await tmux.waitFor("Run it?")
            try tmux.send("x", "Enter")
            let screen = try await tmux.waitFor("It prints a greeting.")
            #expect(screen.contains("echo with `hello-from-aish`, writing to made-by-aish.txt"))
            _ = try await tmux.waitFor("Run it?", count: 2)
            try tmux.send("n", "Enter")
            _ = try await tmux.waitFor("COMMAND-ENDED")
            #expect(try tmux.screen().contains("cancelled"))
            #expect(!exists(folder, "made-by-aish.txt"))
        }
    }

    @Test func aRiskyCommandRunsOnlyAfterATypedYes() async throws {
        try await withAish("clean up") { tmux, folder in
            let screen = try await tmux.waitFor("This command is risky.")
            #expect(screen.contains("risk: risky"))
            #expect(screen.contains("deletes files and folders recursively"))
            try tmux.send("Enter")
            _ = try await tmux.waitFor("A risky command needs a typed yes.")
            #expect(exists(folder, "scratch"))
            try tmux.send("yes", "Enter")
            _ = try await tmux.waitFor("exit status 0")
            #expect(!exists(folder, "scratch"))
        }
    }

    @Test func interactiveModeKeepsTheConversationItsHistoryAndSlashCommands() async throws {
        try await withAish("") { tmux, folder in
            _ = try await tmux.waitFor("aish>")
            try tmux.send("say hello", "Enter")
            _ = try await tmux.waitFor("Run it?")
            try tmux.send("Enter")
            _ = try await tmux.waitFor("exit status 0")
            try tmux.send("and then show it", "Enter")
            let screen = try await tmux.waitFor("$ cat made-by-aish.txt")
            #expect(screen.contains("Shows the file the previous command wrote."))
            try tmux.send("Enter")
            _ = try await tmux.waitFor("hello-from-aish\nexit status 0")
            try tmux.send("/run echo typed-by-hand", "Enter")
            _ = try await tmux.waitFor("$ echo typed-by-hand")
            try tmux.send("Enter")
            _ = try await tmux.waitFor("typed-by-hand\nexit status 0")
            try tmux.send("/history", "Enter")
            _ = try await tmux.waitFor("  say hello\n  and then show it\n  /run echo typed-by-hand\n  /history")
            try tmux.send("/frobnicate", "Enter")
            _ = try await tmux.waitFor("unknown command /frobnicate; /help lists them")
            try tmux.send("/help", "Enter")
            _ = try await tmux.waitFor("/explain [command]")
            try tmux.send("/exit", "Enter")
            _ = try await tmux.waitFor("COMMAND-ENDED")
            let history = try String(contentsOf: folder.appending(path: "state/aish/history"), encoding: .utf8)
            #expect(history == "say hello\nand then show it\n/run echo typed-by-hand\n/history\n/frobnicate\n/help\n/exit\n")
        }
    }

    /// Runs `aish ARGUMENTS` without a terminal in `folder`; returns its exit status and output.
    /// Waited for on a thread of its own: it asks the server this test process runs.
    func run(_ arguments: [String], in folder: URL, port: Int) async throws -> (status: Int32, output: String) {
        try await onOwnThread("hearth-test-aish") { try Self.blockingRun(arguments, in: folder, port: port) }
    }

    private static func blockingRun(_ arguments: [String], in folder: URL, port: Int) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(filePath: Self.aish)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.environment = ProcessInfo.processInfo.environment.merging(["AISH_HOST": "127.0.0.1:\(port)"]) { $1 }
        process.standardInput = FileHandle.nullDevice
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test func withoutATerminalNothingRuns() async throws {
        let folder = try folder()
        try await ScriptedServer.standard.application().test(.live) { client in
            let result = try await run(["say hello"], in: folder, port: client.port!)
            #expect(result.status == 0)
            #expect(result.output.contains("echo hello-from-aish > made-by-aish.txt"))
            #expect(result.output.contains("nothing was run"))
            #expect(!exists(folder, "made-by-aish.txt"))
        }
    }

    @Test func dryRunAndExplainRunNothing() async throws {
        let folder = try folder()
        try await ScriptedServer.standard.application().test(.live) { client in
            let dry = try await run(["--dry-run", "clean up"], in: folder, port: client.port!)
            #expect(dry.status == 0)
            #expect(dry.output.contains("$ rm -rf scratch"))
            #expect(dry.output.contains("(dry run: nothing was run)"))
            let explained = try await run(["explain", "rm -rf scratch > log.txt"], in: folder, port: client.port!)
            #expect(explained.status == 0)
            #expect(explained.output.contains("rm with `-rf` `scratch`, writing to log.txt"))
            #expect(explained.output.contains("risky rm: deletes files and folders recursively, permanently"))
            #expect(explained.output.contains("It prints a greeting."))
            #expect(exists(folder, "scratch") && !exists(folder, "log.txt"))
        }
    }
}
