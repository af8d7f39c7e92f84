import Foundation
import HearthShell

/// One conversation with aish: propose, show (command, explanation, risk, missing programs),
/// ask, and run only what the user confirmed — risky commands only after a typed "yes".
/// It reads standard input and writes standard output (tests drive it in tmux).
public final class Session: @unchecked Sendable {
    public let proposer: Proposer
    public let terminal: Terminal
    public let classifier: RiskClassifier
    /// Show proposals, never run them.
    public var dryRun = false
    /// Earlier requests and the commands they led to, for follow-ups.
    public private(set) var history: [(request: String, command: String)] = []
    /// The last command run and its exit status.
    public private(set) var previous: (command: String, status: Int32)?

    public init(proposer: Proposer, terminal: Terminal, classifier: RiskClassifier = RiskClassifier()) {
        self.proposer = proposer
        self.terminal = terminal
        self.classifier = classifier
    }

    private func input() -> String? { readLine() }
    private func output(_ line: String) { print(line) }

    /// Text as it streams in, without a line break.
    private func write(_ text: String) {
        fflush(nil)  // what print() buffered goes first
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Handles one request; returns the exit status of the command it ran, or nil when none ran.
    /// - Throws: `Proposer.Failure` when no proposal could be had.
    @discardableResult
    public func handle(_ request: String) async throws -> Int32? {
        var context = ShellContext.current()
        context.previousCommand = previous?.command
        context.previousStatus = previous?.status
        let history = self.history
        let proposal = try await terminal.spinning("thinking…") {
            try await proposer.propose(request, context: context, history: history)
        }
        output(terminal.paint(proposal.explanation, .dim))
        let (command, status) = try await confirm(proposal.command)
        // Follow-ups see the command as the user left it (edited or not).
        self.history.append((request, command))
        return status
    }

    /// Shows `command` with its risk, asks, and runs it once confirmed; returns its exit
    /// status, or nil when it did not run.
    public func confirmAndRun(_ proposed: String) async throws -> Int32? {
        try await confirm(proposed).status
    }

    /// As `confirmAndRun`, also returning the command as last shown (the user may edit it).
    private func confirm(_ proposed: String) async throws -> (command: String, status: Int32?) {
        var command = proposed
        var assessment = show(command)
        guard terminal.interactive && !dryRun else {
            output(dryRun ? "(dry run: nothing was run)" : "(no terminal on standard input: nothing was run)")
            return (command, nil)
        }
        while true {
            let risky = assessment.level == .risky
            output(
                risky
                    ? terminal.paint("This command is risky.", .red) + " Type yes to run it · e edit · x explain · n cancel"
                    : "Run it? [Enter] run · e edit · x explain · n cancel")
            guard let answer = input()?.trimmingCharacters(in: .whitespaces) else {
                output("cancelled")
                return (command, nil)
            }
            switch answer.lowercased() {
            case "", "y":
                if risky {
                    output("A risky command needs a typed yes.")
                } else {
                    return (command, run(command))
                }
            case "yes":
                return (command, run(command))
            case "e", "edit":
                output("edit (Enter keeps it): \(command)")
                if let edited = input()?.trimmingCharacters(in: .whitespaces), !edited.isEmpty { command = edited }
                assessment = show(command)
            case "x", "explain":
                try await explain(command)
            case "n", "no", "q", "cancel":
                output("cancelled")
                return (command, nil)
            default:
                output("Answer with Enter, yes, e, x or n.")
            }
        }
    }

    /// The command, its risk and reasons, and programs that are not installed.
    @discardableResult
    func show(_ command: String) -> RiskAssessment {
        let assessment = classifier.assess(command)
        output("  " + terminal.paint("$ ", .dim) + terminal.highlight(command))
        output("  risk: " + terminal.level(assessment.level))
        for reason in assessment.reasons { output("    " + terminal.reason(reason)) }
        let missing = Self.missingPrograms(assessment.programs)
        if !missing.isEmpty { output("  " + terminal.paint("not installed: " + missing.joined(separator: ", "), .yellow)) }
        return assessment
    }

    /// What each part does (from the parser, no model), the risks, then the model's explanation.
    public func explain(_ command: String) async throws {
        let syntax = ShellSyntax(command)
        for part in syntax.commands {
            guard let program = part.program else { continue }
            var line = "  \(terminal.paint(program, .cyan))"
            if !part.arguments.isEmpty { line += " with " + part.arguments.map { "`\($0)`" }.joined(separator: " ") }
            if part.readsPipe { line += ", reading the previous command's output" }
            if let next = part.pipesTo { line += ", its output piped to \(next)" }
            for redirection in part.redirections {
                line +=
                    redirection.writes
                    ? ", writing to \(redirection.target)" + (redirection.appends ? " (appending)" : "") : ", reading \(redirection.target)"
            }
            output(line)
        }
        for reason in classifier.assess(command).reasons { output("  " + terminal.reason(reason)) }
        var started = false
        try await proposer.explain(command) { piece in
            let text = started ? piece : String(piece.drop { $0.isWhitespace })
            started = started || !text.isEmpty
            write(text)
        }
        write("\n")
    }

    private func run(_ command: String) -> Int32 {
        let process = Process()
        process.executableURL = URL(filePath: ProcessInfo.processInfo.environment["SHELL"].flatMap { $0.isEmpty ? nil : $0 } ?? "/bin/sh")
        process.arguments = ["-c", command]
        var status: Int32 = 127
        do {
            try process.run()
            process.waitUntilExit()
            status = process.terminationStatus
        } catch {
            output("could not start the shell: \(error)")
        }
        output(status == 0 ? terminal.paint("exit status 0", .green) : terminal.paint("exit status \(status)", .red))
        previous = (command, status)
        return status
    }

    static let builtins: Set = [
        "cd", "echo", "export", "source", ".", "alias", "set", "unset", "exit", "read", "test", "[", "true", "false", "pwd", "type",
        "command", "history", "jobs", "fg", "bg", "wait", "eval", "exec", "ulimit", "umask", "printf", "kill", "time", "builtin", "shell",
    ]

    /// Programs of `programs` that are neither shell builtins nor found on PATH.
    static func missingPrograms(_ programs: [String], path: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        -> [String]
    {
        var missing: [String] = []
        for program in programs where !builtins.contains(program) && !missing.contains(program) {
            if program.contains("/") {
                if !FileManager.default.isExecutableFile(atPath: program) { missing.append(program) }
                continue
            }
            if !path.split(separator: ":").contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/\(program)") }) {
                missing.append(program)
            }
        }
        return missing
    }
}
