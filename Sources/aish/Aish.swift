import AishKit
import ArgumentParser
import Foundation

/// `aish`: a shell assistant that is safe by construction.
@main
struct Aish: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aish",
        abstract: "A shell assistant that is safe by construction.",
        discussion: """
            Examples:
              aish check "rm -rf build"             # risky: deletes files and folders recursively
              aish check --json "ls -la | sort"     # for scripts, editors and shell hooks
            """,
        version: "0.1.0",
        subcommands: [Check.self])
}

extension Aish {
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
