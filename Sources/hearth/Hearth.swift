import ArgumentParser
import Foundation
import HearthCore
import NIOCore
import NIOPosix

/// `hearth`: serve, run and manage local models.
@main
struct Hearth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hearth",
        abstract: "Run GGUF models locally and serve them over an OpenAI-compatible API.",
        discussion: """
            Commands talk to the server at HEARTH_HOST (host, host:port or http://host:port;
            default 127.0.0.1:8420). When none answers, run, chat, models, ingest, search,
            ask and collections start the same server inside the command and say so.

            Examples:
              hearth serve                        # serve smollm2:135m on 127.0.0.1:8420
              hearth run smollm2:135m "Why is the sky blue?"
              hearth chat gemma3:270m
              hearth models list
            """,
        version: Configuration.version,
        subcommands: [
            Serve.self, Run.self, Chat.self, Models.self, Ps.self, Ingest.self, Search.self, Ask.self, Collections.self, Users.self,
            Keys.self, Login.self, Logout.self, UsageTotals.self, Audit.self, Skills.self, Mcp.self, Providers.self, Reload.self,
            Admin.self, Backup.self, Restore.self, Worker.self, Transcribe.self, Say.self, Listen.self,
        ])

    /// `hearth serve` runs Swift's tasks on the event loops that read and write its
    /// connections instead of on a pool of threads of its own: a request's handler, the
    /// upstream call and the answer then stay on one thread, with no hand-over (a wake-up of
    /// another thread) at each step. Nothing on a task may block for long: blocking work
    /// (a model's computation, a child process, audio decoding, an index build) runs on threads
    /// of its own (`onOwnThread`, `Blocking.run`, dispatch queues).
    static func main() async {
        if CommandLine.arguments.dropFirst().first == "serve" {
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        await main(nil)
    }
}

/// The configuration the environment gives (`HEARTH_*`).
func environmentConfiguration() throws -> Configuration {
    try Configuration(environment: ProcessInfo.processInfo.environment)
}

/// Settings shared by every command that may load a model in-process.
struct EngineFlags: ParsableArguments {
    @Option(name: .long, help: "Context size of each sequence, in tokens (HEARTH_CONTEXT).")
    var context: Int?

    @Option(name: .long, help: "CPU threads for inference, shared by all models (HEARTH_THREADS).")
    var threads: Int?

    func validate() throws {
        if let context, context < 64 { throw ValidationError("--context must be at least 64") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// The environment's configuration with these flags applied (they matter when the
    /// command runs in-process).
    func configuration() throws -> Configuration {
        var configuration = try environmentConfiguration()
        if let context { configuration.contextPerSequence = context }
        if let threads { configuration.threads = threads }
        return configuration
    }
}

/// Prints a failure the way users should see it and exits non-zero.
/// `value` as indented JSON with sorted keys, for `--json` output.
func prettyJSON(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes, .sortedKeys]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

func fail(_ error: any Error) -> ExitCode {
    let message = (error as? HearthError)?.message ?? "\(error)"
    FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
    return ExitCode.failure
}
