import Foundation
import HearthApp
import HearthCore
import HearthTesting
import Hummingbird
import HummingbirdTesting
import Testing

/// `aish` in a terminal against a live Hearth server with the real smollm2:135m: the tiny
/// model's proposal parses (the server enforces the JSON schema) and runs once confirmed.
@Suite struct AishLiveTests {
    @Test func theTinyModelProposesACommandThatRuns() async throws {
        let configuration = try TestModels.serverConfiguration(parallel: 1, context: 1024)
        let folder = FileManager.default.temporaryDirectory.appending(path: "aish-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("hello\n".utf8).write(to: folder.appending(path: "greeting.txt"))
        let aish = CLITests.root.appending(path: ".build/debug/aish").path
        let app = try await HearthApplication.build(configuration)
        try await app.test(.live) { client in
            let tmux = Tmux(folder: folder)
            defer { tmux.stop() }
            try tmux.start(
                "AISH_HOST=127.0.0.1:\(client.port!) AISH_MODEL=\(try TestModels.smollm2) NO_COLOR=1 \(aish) list files in this directory")
            // Alone it takes seconds; beside the whole live suite on two cores, minutes (over
            // three on a machine whose cores decode smollm2 at 25 ms a token).
            let screen = try await tmux.waitFor("Run it?", seconds: 420)
            let proposal = try #require(screen.split(separator: "\n").first { $0.hasPrefix("  $ ") })
            // A real program the shell can find, not an empty or invented command.
            let program = String(proposal.dropFirst(4).split(separator: " ").first ?? "")
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            #expect(
                path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(program)") },
                "\(proposal)")
            try tmux.send("Enter")
            let after = try await tmux.waitFor("exit status", seconds: 30)
            #expect(after.contains("exit status 0"))
            #expect(after.contains("greeting.txt"))
        }
    }
}
