import Foundation
import HearthShell

/// Colours and a spinner, only where they belong: on a terminal that is not `dumb`, and
/// never when `NO_COLOR` is set.
public struct Terminal: Sendable {
    public let colors: Bool
    public let interactive: Bool

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let dumb = environment["TERM"] == "dumb" || environment["TERM"] == nil
        colors = isatty(STDOUT_FILENO) == 1 && !dumb && environment["NO_COLOR"] == nil
        interactive = isatty(STDIN_FILENO) == 1
    }

    enum Color: String {
        case dim = "2", red = "31", green = "32", yellow = "33", magenta = "35", cyan = "36"
    }

    func paint(_ text: String, _ color: Color) -> String {
        colors ? "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m" : text
    }

    /// `command` with programs, options, quoted strings and operators coloured.
    public func highlight(_ command: String) -> String {
        guard colors else { return command }
        var out = ""
        var expectProgram = true
        for token in Self.tokens(command) {
            let trimmed = token.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                out += token
            } else if ["|", "||", "&&", ";", "&", ">", ">>", "<", "2>", "2>&1", "&>"].contains(trimmed) {
                out += paint(token, .magenta)
                expectProgram = ["|", "||", "&&", ";", "&"].contains(trimmed)
            } else if expectProgram {
                out += paint(token, .cyan)
                expectProgram = false
            } else if trimmed.hasPrefix("-") {
                out += paint(token, .yellow)
            } else if trimmed.hasPrefix("\"") || trimmed.hasPrefix("'") {
                out += paint(token, .green)
            } else {
                out += token
            }
        }
        return out
    }

    /// Whitespace runs and words (quoted parts kept whole), in order.
    static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        var quote: Character?
        for c in text {
            if let q = quote {
                current.append(c)
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
                current.append(c)
            } else if c == " " {
                if !current.isEmpty && current.last != " " {
                    tokens.append(current)
                    current = ""
                }
                current.append(c)
            } else {
                if current.last == " " {
                    tokens.append(current)
                    current = ""
                }
                current.append(c)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    /// A reason as Session shows it: its level, the program and why.
    func reason(_ reason: RiskAssessment.Reason) -> String {
        level(reason.level) + " \(reason.program): \(reason.message)"
    }

    /// The level in its colour.
    public func level(_ level: RiskLevel) -> String {
        switch level {
        case .safe: paint("safe", .green)
        case .caution: paint("caution", .yellow)
        case .risky: paint("risky", .red)
        }
    }

    /// Runs `work` while a spinner turns on standard error (on a terminal only).
    public func spinning<T: Sendable>(_ label: String, _ work: () async throws -> T) async rethrows -> T {
        guard colors else { return try await work() }
        let spinner = Spinner(label: label)
        spinner.start()
        defer { spinner.stop() }
        return try await work()
    }
}

/// A braille spinner on its own thread.
final class Spinner: @unchecked Sendable {
    private let label: String
    private let condition = NSCondition()
    private var running = false
    private var finished = false

    init(label: String) { self.label = label }

    func start() {
        running = true
        let thread = Thread { [self] in
            let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
            var index = 0
            condition.lock()
            while running {
                FileHandle.standardError.write(Data("\r\u{1B}[2m\(frames[index % frames.count]) \(label)\u{1B}[0m".utf8))
                index += 1
                _ = condition.wait(until: Date().addingTimeInterval(0.08))
            }
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.start()
    }

    func stop() {
        condition.lock()
        running = false
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }
}
