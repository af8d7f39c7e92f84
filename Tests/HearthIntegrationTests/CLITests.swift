import Foundation
import HearthCore
import Testing

/// The built `hearth` binary, run as a user would.
@Suite struct CLITests {
    static let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `hearth` with `arguments`; returns its exit status, standard output and error.
    static func hearth(_ arguments: String..., input: String? = nil) throws -> (status: Int32, output: String, error: String) {
        let binary = root.appending(path: ".build/debug/hearth")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw HearthError(.notFound, "\(binary.path) is not built: run `swift build` first")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HEARTH_HOME"] = nil
        process.environment = environment
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

    @Test func serveHelpListsEveryVariableWithItsDefault() throws {
        let result = try Self.hearth("serve", "--help")
        #expect(result.status == 0)
        for variable in Configuration.variables {
            #expect(result.output.contains("\(variable.name) (default: \(variable.defaultValue))"))
        }
    }

    @Test func everyCommandHasHelp() throws {
        let top = try Self.hearth("--help")
        for command in ["serve", "run", "chat", "models", "ps"] {
            #expect(top.output.contains(command))
            #expect(try Self.hearth(command, "--help").status == 0)
        }
        #expect(try Self.hearth("models", "show", "--help").output.contains("Example"))
    }

    @Test func runStreamsAnAnswer() throws {
        let result = try Self.hearth("run", "smollm2:135m", "Name three colors.", "--temperature", "0", "--max-tokens", "20")
        #expect(result.status == 0)
        #expect(["Red", "Blue", "Green"].allSatisfy(result.output.contains))
    }

    @Test func chatKeepsTheConversationAndLeavesOnBye() throws {
        let script = "Name three colors.\n\"\"\"What is\n2+2?\"\"\"\n/clear\n/bye\nnever read\n"
        let result = try Self.hearth("chat", "smollm2:135m", "--temperature", "0", "--max-tokens", "20", input: script)
        #expect(result.status == 0)
        #expect(["Red", "Blue", "Green"].allSatisfy(result.output.contains))
        #expect(result.output.contains("4"))
        #expect(result.output.contains("Conversation cleared."))
        #expect(result.output.components(separatedBy: ">>> ").count == 5)  // four prompts read, then /bye
    }

    @Test func modelsListAndShow() throws {
        let list = try Self.hearth("models", "list")
        #expect(list.output.contains("smollm2:135m"))
        #expect(list.output.contains("gemma3:270m"))
        let show = try Self.hearth("models", "show", "gemma3:270m")
        #expect(show.status == 0)
        #expect(show.output.contains("gemma3"))
        #expect(show.output.contains("chat template"))
        #expect(show.output.contains("gemma (by architecture gemma3"))
    }

    @Test func unknownModelsAndBadFlagsFailClearly() throws {
        let missing = try Self.hearth("run", "nope:1b", "Hi")
        #expect(missing.status == 1)
        #expect(missing.error.contains("model 'nope:1b' not found"))
        let bad = try Self.hearth("run", "smollm2:135m", "Hi", "--temperature", "9")
        #expect(bad.status != 0)
        #expect(bad.error.contains("temperature"))
    }
}
