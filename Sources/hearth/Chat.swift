import ArgumentParser
import Foundation
import HearthClient
import HearthCore
import HearthModels
import HearthWire

extension Hearth {
    struct Chat: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Chat with a model in the terminal.",
            discussion: """
                The conversation is kept, so follow-up questions work. Commands:
                  /bye      leave (Ctrl-D too)
                  /clear    forget the conversation
                  /help     show this
                Start a line with \"\"\" to write several lines; end them with \"\"\" on its own line.

                Example:
                  hearth chat smollm2:135m --system "Answer in one sentence."
                """)

        @Argument(help: "Model name (name:tag) or path to a .gguf file.")
        var model: String = "smollm2:135m"

        @OptionGroup var sampling: SamplingFlags
        @OptionGroup var engine: EngineFlags

        func run() async throws {
            let configuration: Configuration
            do { configuration = try engine.configuration() } catch { throw fail(error) }
            let (model, base) = (model, sampling.request(model: model, []))
            do {
                try await Connection.run(configuration, models: [model]) { client in
                    try await Self.converse(client, model: model, base: base)
                }
            } catch {
                throw fail(error)
            }
        }

        /// Reads messages and answers them (with `base`, the request's settings and system
        /// prompt) until /bye or the end of input.
        static func converse(_ client: HearthClient, model: String, base: OpenAI.ChatCompletionRequest) async throws {
            // An unknown model fails now, not at the first message.
            if !ModelStore.isPath(model) { _ = try await client.model(model) }
            var history: [OpenAI.Message] = []
            print("Chatting with \(model). Type /help for help, /bye to leave.")
            while let input = readMessage() {
                switch input.trimmingCharacters(in: .whitespaces) {
                case "": continue
                case "/bye", "/exit", "/quit": return
                case "/clear":
                    history.removeAll()
                    print("Conversation cleared.")
                    continue
                case "/help", "/?":
                    print(configuration.discussion)
                    continue
                default: break
                }
                history.append(OpenAI.Message(role: "user", content: input))
                do {
                    var request = base
                    request.messages += history
                    history.append(OpenAI.Message(role: "assistant", content: try await stream(client, request)))
                } catch let error as HearthError where error.code != .unreachable {
                    history.removeLast()
                    _ = fail(error)
                }
            }
        }

        /// One message from standard input: a line, or the lines between two `"""` markers.
        static func readMessage() -> String? {
            FileHandle.standardOutput.write(Data(">>> ".utf8))
            guard let line = readLine() else { return nil }
            guard line.hasPrefix("\"\"\"") else { return line }
            var lines = [String(line.dropFirst(3))]
            while let next = readLine() {
                if next.hasSuffix("\"\"\"") {
                    lines.append(String(next.dropLast(3)))
                    break
                }
                lines.append(next)
            }
            return lines.filter { !$0.isEmpty }.joined(separator: "\n")
        }
    }
}
