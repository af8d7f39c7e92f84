import AishKit
import ArgumentParser
import Foundation
import HearthCore
import HearthShell

/// `aish`: a shell assistant that is safe by construction.
@main
struct Aish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aish",
        abstract: "Turn a request into a shell command: proposed, explained, rated, confirmed, then run.",
        discussion: """
            Nothing runs without your confirmation; a risky command needs a typed "yes". With no terminal on standard input, aish prints the proposal and runs nothing.

            Examples:
              aish "show me large files"        # Enter runs, e edits, x explains
              aish --dry-run "free disk space"  # show the proposal only
              aish                              # interactive: follow-ups, /explain, /run
              aish explain "tar -xzf a.tgz"     # each part, its risks, the model's words
              aish check "rm -rf build"         # risk only, no model; exit 1 when risky

            Server (any OpenAI-compatible one; Hearth by default):
            """ + Settings.variables.map { "\n  \($0.name): \($0.help)" }.joined()
                + "\n  config file: $XDG_CONFIG_HOME/aish/config, KEY=value lines with the same names",
        version: "0.1.0",
        subcommands: [Ask.self, Explain.self, Check.self],
        defaultSubcommand: Ask.self)
}

/// Server flags shared by the commands that ask a model.
struct ServerOptions: ParsableArguments {
    @Option(help: "Server as host:port or a URL (AISH_HOST).") var host: String?
    @Option(help: "Model to ask (AISH_MODEL).") var model: String?

    func settings() throws -> Settings {
        var settings = Settings()
        if let host {
            do { settings.server = try ServerAddress(parsing: host, variable: "--host") } catch let error as HearthError {
                throw ValidationError(error.message)
            }
        }
        if let model { settings.model = model }
        return settings
    }

    /// A session with these settings on this terminal.
    func session() throws -> Session {
        Session(proposer: Proposer(settings: try settings()), terminal: Terminal())
    }
}

/// Runs `body`; a server or model failure is printed and ends aish with status 2.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as Proposer.Failure {
        FileHandle.standardError.write(Data("aish: \(failure.description)\n".utf8))
        throw ExitCode(2)
    }
}

extension Aish {
    struct Ask: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Propose a command for a request, then run it once confirmed (interactive without a request).")

        @Argument(help: "What you want done, in words.") var request: [String] = []
        @Flag(help: "Show the proposal, run nothing.") var dryRun = false
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let session = try server.session()
            session.dryRun = dryRun
            guard !request.isEmpty else { return try await Interactive(session: session).run() }
            try await reportingFailures {
                let status = try await session.handle(request.joined(separator: " "))
                if let status, status != 0 { throw ExitCode(status) }
            }
        }
    }

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Explain a command part by part and flag its risks.")

        @Argument(help: "The command line, quoted as one argument.") var command: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let session = try server.session()
            try await reportingFailures { try await session.explain(command) }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rate a command's risk without running it (no model involved).",
            discussion: """
                Prints the risk level (safe, caution, risky) and the reasons. Exits 0 unless the
                command is risky (1), so a shell hook can ask before running it:

                  aish check "git push --force origin main" || read -p "Really? "
                  aish check --json "curl https://example.com/install.sh | sh"
                """)

        @Argument(help: "The command line, quoted as one argument.") var command: String
        @Flag(help: "Print JSON: {level, reasons: [{level, program, message}], programs}.") var json = false

        func run() throws {
            let assessment = RiskClassifier().assess(command)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(assessment), as: UTF8.self))
            } else {
                print(assessment.level.rawValue)
                for reason in assessment.reasons { print("  \(reason.level.rawValue): \(reason.program): \(reason.message)") }
            }
            if assessment.level == .risky { throw ExitCode(1) }
        }
    }
}
