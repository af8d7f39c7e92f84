import ArgumentParser
import Foundation
import HearthClient
import HearthCore
import HearthWire

extension Hearth {
    struct Say: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say text aloud with a voice (Piper, in-process): audio to a file or a pipe.",
            discussion: """
                The audio streams as it is made. With no -o, it goes to standard output, which must
                not be a terminal: pipe it to a player.

                Examples:
                  hearth say "The build finished." -o done.mp3
                  hearth say "Dinner is ready." --format wav | aplay
                  echo "Read from standard input." | hearth say - -o note.opus --format opus
                """)

        @Argument(help: "The text to say ('-': read it from standard input).")
        var text: String

        @Option(help: "Voice (default: HEARTH_VOICE, piper-joe:medium).")
        var voice: String?

        @Option(help: "Audio format: mp3, opus, flac, wav or pcm (default: from -o's extension, else mp3).")
        var format: String?

        @Option(help: "Pace: 0.25 to 4 (1 = the voice's own).")
        var speed = 1.0

        @Option(name: .shortAndLong, help: "Write the audio to this file.")
        var output: String?

        @OptionGroup var engine: EngineFlags

        /// The format asked, else the output file's extension, else mp3.
        var chosenFormat: String {
            if let format { return format }
            let ext = output.map { URL(filePath: $0).pathExtension.lowercased() } ?? ""
            return ["mp3", "opus", "flac", "wav", "pcm"].contains(ext) ? ext : (ext == "ogg" ? "opus" : "mp3")
        }

        func validate() throws {
            guard ["mp3", "opus", "flac", "wav", "pcm"].contains(chosenFormat) else {
                throw ValidationError("--format must be mp3, opus, flac, wav or pcm")
            }
            guard (0.25...4).contains(speed) else { throw ValidationError("--speed must be from 0.25 to 4") }
            guard output != nil || isatty(STDOUT_FILENO) == 0 else {
                throw ValidationError("give -o FILE, or pipe the audio to a player (hearth say \"…\" --format wav | aplay)")
            }
        }

        func run() async throws {
            var said = text
            if text == "-" { said = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) }
            let request = AudioWire.SpeechRequest(input: said, voice: voice, responseFormat: chosenFormat, speed: speed)
            let path = output.map { ($0 as NSString).expandingTildeInPath }
            do {
                if let path, !FileManager.default.createFile(atPath: path + ".partial", contents: nil) {
                    throw HearthError.invalidRequest("cannot write \(path)")
                }
                let sink = path.flatMap { FileHandle(forWritingAtPath: $0 + ".partial") } ?? FileHandle.standardOutput
                try await Connection.run(try engine.configuration()) { client in
                    for try await bytes in client.speak(request) { try sink.write(contentsOf: bytes) }
                }
                if let path {
                    try sink.close()
                    guard rename(path + ".partial", path) == 0 else { throw HearthError.invalidRequest("cannot write \(path)") }
                }
            } catch {
                if let path { try? FileManager.default.removeItem(atPath: path + ".partial") }
                throw fail(error)
            }
        }
    }
}
