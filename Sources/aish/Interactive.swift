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
        let historyFile = Settings.historyFile()
        let history = Self.openHistory(historyFile)
        defer { try? history?.close() }
        print("aish: describe what you want done. /help for help, /exit to leave.")
        while true {
            FileHandle.standardOutput.write(Data("aish> ".utf8))
            guard let line = readLine() else { break }
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            try? history?.write(contentsOf: Data((text + "\n").utf8))
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

    /// The history file opened for appending (created with its folder), or nil when it
    /// cannot be written: history is a convenience, never a reason to fail.
    static func openHistory(_ file: URL) -> FileHandle? {
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: file.path) { FileManager.default.createFile(atPath: file.path, contents: nil) }
        let handle = try? FileHandle(forWritingTo: file)
        _ = try? handle?.seekToEnd()
        return handle
    }
}
