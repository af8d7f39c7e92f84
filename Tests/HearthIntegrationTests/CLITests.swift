import Foundation
import HearthClient
import HearthCore
import HearthTesting
import Testing

/// The built `hearth` binary, run as a user would.
@Suite struct CLITests {
    static let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `hearth` with `arguments`; returns its exit status, standard output and error.
    static func hearth(_ arguments: String..., input: String? = nil) async throws -> (status: Int32, output: String, error: String) {
        try await hearth(arguments, input: input)
    }

    /// Runs `hearth` with `arguments` and `extra` variables set, waiting for it on a thread of
    /// its own (`onOwnThread`): a server in this test process may need every shared thread to answer it.
    static func hearth(_ arguments: [String], input: String? = nil, environment extra: [String: String] = [:]) async throws -> (
        status: Int32, output: String, error: String
    ) {
        try await onOwnThread("hearth-test-cli") { try blockingHearth(arguments, input: input, environment: extra) }
    }

    private static func blockingHearth(_ arguments: [String], input: String?, environment extra: [String: String]) throws -> (
        status: Int32, output: String, error: String
    ) {
        let binary = root.appending(path: ".build/debug/hearth")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw HearthError(.notFound, "\(binary.path) is not built: run `swift build` first")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HEARTH_HOME"] = nil
        process.environment = environment.merging(extra) { $1 }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// Starts `hearth` in the background with `HEARTH_HOME=home` and `extra` variables; its
    /// output goes to `output`, or nowhere.
    static func start(_ arguments: [String], home: URL, output: URL? = nil, environment extra: [String: String] = [:]) throws
        -> Process
    {
        let process = Process()
        process.executableURL = root.appending(path: ".build/debug/hearth")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        environment["HEARTH_HOME"] = home.path
        process.environment = environment
        if let output {
            FileManager.default.createFile(atPath: output.path, contents: nil)
            let handle = try FileHandle(forWritingTo: output)
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        return process
    }

    /// Runs `body` with `hearth serve EXTRA` (and `environment`) started on a free port in a
    /// fresh home, a client of it and the home; stops the server by PID afterwards if it still runs.
    static func withServer(
        _ extra: [String] = [], environment: [String: String] = [:], _ body: (Process, HearthClient, URL) async throws -> Void
    ) async throws {
        let home = try TestModels.home()
        let port = try FreePort.find()
        let server = try start(
            ["serve", "--port", "\(port)"] + extra, home: home, output: home.appending(path: "server.log"), environment: environment)
        let client = HearthClient(address: ServerAddress(host: "127.0.0.1", port: port))
        var failure: (any Error)?
        do {
            let deadline = ContinuousClock.now + .seconds(120)
            while !(await client.isServing()), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
            try await body(server, client, home)
        } catch {
            // What the server said (it may have exited, or never started) explains the failure.
            let log = (try? String(contentsOf: home.appending(path: "server.log"), encoding: .utf8)) ?? ""
            print("hearth serve (\(server.isRunning ? "running" : "exited \(server.terminationStatus)")) wrote:\n\(log.suffix(3_000))")
            failure = error
        }
        if server.isRunning { server.terminate() }
        await server.exited()
        try? FileManager.default.removeItem(at: home)
        if let failure { throw failure }
    }

    @Test func serveHelpListsEveryVariableWithItsDefault() async throws {
        let result = try await Self.hearth("serve", "--help")
        #expect(result.status == 0)
        for variable in Configuration.variables {
            #expect(result.output.contains("\(variable.name) (default: \(variable.defaultValue))"))
        }
    }

    @Test func everyCommandHasHelp() async throws {
        let top = try await Self.hearth("--help")
        for command in [
            "serve", "run", "chat", "models", "ps", "ingest", "search", "ask", "collections", "users", "keys", "usage", "audit", "admin",
            "login", "logout", "transcribe", "say", "listen",
        ] {
            #expect(top.output.contains(command))
            #expect(try await Self.hearth(command, "--help").status == 0)
        }
        #expect(try await Self.hearth("models", "show", "--help").output.contains("Example"))
    }

    /// `hearth say`, `hearth transcribe` and `hearth listen` in-process (no server answers at
    /// the address they are given), on the set-up's voice, Whisper and wake-word models.
    @Test func speechIsSaidHeardAndListenedFor() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "hearth-cli-speech-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let nowhere = ["HEARTH_HOST": "127.0.0.1:\(try FreePort.find())"]
        let wav = folder.appending(path: "command.wav").path
        let said = try await Self.hearth(["say", "Hey Jarvis, please open the garage door.", "-o", wav], environment: nowhere)
        #expect(said.status == 0, "\(said.error)")
        #expect(FileManager.default.contents(atPath: wav)?.prefix(4) == Data("RIFF".utf8))
        let heard = try await Self.hearth(["transcribe", wav], environment: nowhere)
        #expect(heard.status == 0 && heard.output.lowercased().contains("garage door"), "\(heard.output) \(heard.error)")
        let listened = try await Self.hearth(["listen", wav], environment: nowhere)
        #expect(listened.status == 0 && listened.output.contains("wake word at"), "\(listened.output) \(listened.error)")
        #expect(listened.output.lowercased().contains("heard: please open the garage door"), "\(listened.output)")
        let notAudio = try await Self.hearth(["transcribe", "/etc/hostname"], environment: nowhere)
        #expect(notAudio.status != 0 && notAudio.error.contains("not audio Hearth can read"))
    }

    @Test func runStreamsAnAnswer() async throws {
        let result = try await Self.hearth("run", "smollm2:135m", "Name three colors.", "--temperature", "0", "--max-tokens", "20")
        #expect(result.status == 0)
        #expect(["Red", "Blue", "Green"].allSatisfy(result.output.contains))
    }

    @Test func chatKeepsTheConversationAndLeavesOnBye() async throws {
        let script = "Name three colors.\n\"\"\"What is\n2+2?\"\"\"\n/clear\n/bye\nnever read\n"
        let result = try await Self.hearth("chat", "smollm2:135m", "--temperature", "0", "--max-tokens", "20", input: script)
        #expect(result.status == 0)
        #expect(["Red", "Blue", "Green"].allSatisfy(result.output.contains))
        #expect(result.output.contains("4"))
        #expect(result.output.contains("Conversation cleared."))
        #expect(result.output.components(separatedBy: ">>> ").count == 5)  // four prompts read, then /bye
    }

    @Test func psShowsARunningServersSlotsAndContext() async throws {
        let socket = try FreePort.find()
        let server = Process()
        server.executableURL = Self.root.appending(path: ".build/debug/hearth")
        server.arguments = ["serve", "--port", "\(socket)", "--parallel", "3", "--context", "512"]
        let home = try TestModels.home()
        server.environment = ProcessInfo.processInfo.environment.merging(["HEARTH_HOME": home.path]) { $1 }
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
            try? FileManager.default.removeItem(at: home)
        }
        var table = ""
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let result = try await Self.hearth("ps", "--host", "127.0.0.1:\(socket)")
            if result.status == 0 {
                table = result.output
                break
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(table.contains("CONTEXT/SLOT"))
        let row = table.split(separator: "\n").first { $0.hasPrefix("smollm2:135m") }.map(String.init) ?? ""
        #expect(row.contains("0/3"))
        #expect(row.contains("512"))
        let unreachable = try await Self.hearth("ps", "--host", "127.0.0.1:1")
        #expect(unreachable.status == 1)
        #expect(unreachable.error.contains("no Hearth server answers"))
    }

    @Test func modelsListAndShow() async throws {
        let list = try await Self.hearth("models", "list")
        #expect(list.output.contains("smollm2:135m"))
        #expect(list.output.contains("gemma3:270m"))
        let show = try await Self.hearth("models", "show", "gemma3:270m")
        #expect(show.status == 0)
        #expect(show.output.contains("gemma3"))
        #expect(show.output.contains("chat template"))
        #expect(show.output.contains("gemma (by architecture gemma3"))
    }

    @Test func aTruncatedModelIsRejectedByShowAndRun() async throws {
        let original = try Data(contentsOf: URL(filePath: try TestModels.smollm2))
        let cut = FileManager.default.temporaryDirectory.appending(path: "cut-\(UUID().uuidString).gguf")
        try original.prefix(original.count / 3).write(to: cut)
        defer { try? FileManager.default.removeItem(at: cut) }
        for command in [["models", "show", cut.path], ["run", cut.path, "Hi"]] {
            let result = try await Self.hearth(command[0], command[1], command[2])
            #expect(result.status == 1)
            #expect(result.error.contains("is not a usable GGUF file: it is truncated: tensor"))
        }
    }

    @Test func unknownModelsAndBadFlagsFailClearly() async throws {
        let missing = try await Self.hearth("run", "nope:1b", "Hi")
        #expect(missing.status == 1)
        #expect(missing.error.contains("model 'nope:1b' not found"))
        let chat = try await Self.hearth("chat", "nope:1b", input: "Hi\n")
        #expect(chat.status == 1)
        #expect(chat.error.contains("model 'nope:1b' not found") && !chat.output.contains("Chatting with"))
        let bad = try await Self.hearth("run", "smollm2:135m", "Hi", "--temperature", "9")
        #expect(bad.status != 0)
        #expect(bad.error.contains("temperature"))
    }
}
