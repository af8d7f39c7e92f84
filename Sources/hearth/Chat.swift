import ArgumentParser
import Foundation
import HearthCore
import HearthEngine
import HearthModels

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
            let loaded: LocalModel
            do {
                loaded = try await LocalModel(model, engine)
            } catch {
                throw fail(error)
            }
            var history: [ChatMessage] = sampling.system.map { [ChatMessage(role: .system, content: $0)] } ?? []
            print("Chatting with \(model). Type /help for help, /bye to leave.")
            while let input = Self.readMessage() {
                switch input.trimmingCharacters(in: .whitespaces) {
                case "": continue
                case "/bye", "/exit", "/quit":
                    await loaded.engine.shutdown()
                    return
                case "/clear":
                    history.removeAll { $0.role != .system }
                    print("Conversation cleared.")
                    continue
                case "/help", "/?":
                    print(Self.configuration.discussion)
                    continue
                default: break
                }
                history.append(ChatMessage(role: .user, content: input))
                do {
                    let answer = try await stream(loaded, .chat(history), sampling.params)
                    history.append(ChatMessage(role: .assistant, content: answer))
                } catch {
                    history.removeLast()
                    _ = fail(error)
                }
            }
            await loaded.engine.shutdown()
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
