import AishKit
import Foundation

/// `aish` with no request: a prompt that keeps the conversation (follow-ups refer to the
/// previous command), with history kept in `$XDG_STATE_HOME/aish/history`.
struct Interactive {
    let session: Session

    static let help = """
        Type what you want done; follow-ups like "now only .log files" refer to the last command.
          /explain [command]   explain the last proposal (or a command)
          /run [command]       run the last proposal again (or a command), after confirmation
          /history             show earlier requests
          /help                show this
          /exit                leave (Ctrl-D too)
        """

    func run() async throws {
        let historyFile = Self.historyFile()
        print("aish: describe what you want done. /help for help, /exit to leave.")
        while true {
            FileHandle.standardOutput.write(Data("aish> ".utf8))
            guard let line = readLine() else { break }
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            Self.remember(text, in: historyFile)
            do {
                switch text.split(separator: " ", maxSplits: 1).first.map(String.init) ?? "" {
                case "/exit", "/quit", "/bye": return
                case "/help": print(Self.help)
                case "/history":
                    let lines = (try? String(contentsOf: historyFile, encoding: .utf8))?.split(separator: "\n").suffix(20) ?? []
                    lines.forEach { print("  \($0)") }
                case "/explain":
                    guard let command = Self.argument(text) ?? session.history.last?.command else {
                        print("nothing to explain yet"); continue
                    }
                    try await session.explain(command)
                case "/run":
                    guard let command = Self.argument(text) ?? session.history.last?.command else { print("nothing to run yet"); continue }
                    _ = try await session.confirmAndRun(command)
                default:
                    if text.hasPrefix("/") {
                        print("unknown command \(text); /help lists them")
                    } else {
                        try await session.handle(text)
                    }
                }
            } catch let failure as Proposer.Failure {
                print("aish: \(failure.description)")
            }
        }
    }

    static func argument(_ text: String) -> String? {
        let parts = text.split(separator: " ", maxSplits: 1)
        return parts.count == 2 ? String(parts[1]) : nil
    }

    static func historyFile() -> URL {
        let environment = ProcessInfo.processInfo.environment
        let base =
            environment["XDG_STATE_HOME"].map { URL(filePath: $0) }
            ?? URL(filePath: environment["HOME"] ?? "/tmp").appending(path: ".local/state")
        return base.appending(path: "aish/history")
    }

    static func remember(_ line: String, in file: URL) {
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: file.path) { FileManager.default.createFile(atPath: file.path, contents: nil) }
        guard let handle = try? FileHandle(forWritingTo: file) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data((line + "\n").utf8))
    }
}
