import ArgumentParser
import Foundation
import HearthClient
import HearthCore
import Synchronization

extension Hearth {
    struct Mcp: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mcp",
            abstract: "Serve MCP over standard input and output, for MCP hosts (desktop assistants, editors, agents).",
            discussion: """
                Each JSON-RPC message read from standard input goes to the running server's /mcp
                (with HEARTH_API_KEY, or the session of hearth login) and its answer is written to
                standard output, one per line; without a server, one runs in this process. The
                tools, resources and prompts are those the key may use.

                An MCP host's configuration:
                  {"mcpServers": {"hearth": {"command": "hearth", "args": ["mcp"],
                                             "env": {"HEARTH_API_KEY": "hth_…"}}}}
                """)

        func run() async throws {
            do {
                try await Connection.run(try environmentConfiguration()) { client in try await Self.relay(client) }
            } catch {
                throw fail(error)
            }
        }

        /// Relays messages until standard input ends; each is answered as soon as it can be
        /// (a slow tool call does not hold up a ping).
        static func relay(_ client: HearthClient) async throws {
            let output = LineWriter()
            await withTaskGroup(of: Void.self) { tasks in
                for await line in standardInputLines() where !line.isEmpty {
                    tasks.addTask {
                        let message = Data(line.utf8)
                        let answer: Data?
                        do {
                            answer = try await client.mcp(message)
                        } catch {
                            answer = failure(error, answering: message)
                        }
                        guard let answer else { return }
                        output.write(answer)
                    }
                }
            }
        }

        /// A JSON-RPC error answering `message` (none for a notification, which has no id).
        static func failure(_ error: any Error, answering message: Data) -> Data? {
            guard let request = try? JSONSerialization.jsonObject(with: message) as? [String: Any], let id = request["id"] else {
                FileHandle.standardError.write(Data("hearth mcp: \(error)\n".utf8))
                return nil
            }
            let answer: [String: Any] = ["jsonrpc": "2.0", "id": id, "error": ["code": -32603, "message": "\(error)"]]
            return try? JSONSerialization.data(withJSONObject: answer)
        }

        /// Standard input's lines, read on a thread of their own.
        static func standardInputLines() -> AsyncStream<String> {
            let (lines, continuation) = AsyncStream.makeStream(of: String.self)
            Thread.detachNewThread {
                while let line = readLine(strippingNewline: true) { continuation.yield(line) }
                continuation.finish()
            }
            return lines
        }
    }
}

/// Writes whole lines to standard output, one writer at a time.
private final class LineWriter: Sendable {
    private let lock = Mutex(())

    func write(_ line: Data) {
        lock.withLock { _ in FileHandle.standardOutput.write(line + Data("\n".utf8)) }
    }
}
