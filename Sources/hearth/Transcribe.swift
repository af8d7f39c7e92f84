import ArgumentParser
import Foundation
import HearthClient
import HearthCore
import HearthWire

extension Hearth {
    struct Transcribe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Turn speech in an audio file into text (Whisper, in-process).",
            discussion: """
                Reads WAV, FLAC, OGG (Vorbis, Opus) and MP3 at any sample rate. Plain text is
                printed as it is found; other formats when the whole file is done.

                Examples:
                  hearth transcribe meeting.wav
                  hearth transcribe talk.mp3 --format srt -o talk.srt
                  hearth transcribe interview.ogg --language de --translate
                  hearth transcribe notes.flac --prompt "Hearth, llama.cpp, GGUF"
                """)

        @Argument(help: "The audio file.")
        var file: String

        @Option(help: "Whisper model (default: HEARTH_SPEECH_MODEL, whisper:tiny.en).")
        var model: String?

        @Option(help: "Language spoken, as an ISO 639-1 code (default: detected).")
        var language: String?

        @Option(help: "Text the speech continues: names and spellings to expect.")
        var prompt: String?

        @Option(help: "Output: text, json, verbose_json, srt or vtt.")
        var format = "text"

        @Flag(help: "Translate into English.")
        var translate = false

        @Option(name: .shortAndLong, help: "Write the result to this file instead of standard output.")
        var output: String?

        @OptionGroup var engine: EngineFlags

        func validate() throws {
            guard AudioWire.Format(rawValue: format) != nil else {
                throw ValidationError("--format must be one of \(AudioWire.Format.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() async throws {
            let path = (file as NSString).expandingTildeInPath
            guard let audio = FileManager.default.contents(atPath: path) else {
                throw fail(HearthError.invalidRequest("cannot read \(file)"))
            }
            var request = HearthClient.Transcription(audio: audio, filename: URL(filePath: path).lastPathComponent)
            request.model = model
            request.language = language
            request.prompt = prompt
            request.format = AudioWire.Format(rawValue: format)!
            request.translate = translate
            let toFile = output
            let asked = request
            do {
                let result: String = try await Connection.run(try engine.configuration()) { client in
                    guard asked.format == .text, toFile == nil else { return try await client.transcribe(asked) }
                    // Plain text to the terminal: each piece as soon as it is found.
                    var started = false
                    for try await event in client.streamTranscription(asked) {
                        guard var delta = event.delta else { continue }
                        if !started { delta = String(delta.drop { $0 == " " }) }
                        started = true
                        FileHandle.standardOutput.write(Data(delta.utf8))
                    }
                    return "\n"
                }
                if let toFile {
                    try Data(result.utf8).write(to: URL(filePath: (toFile as NSString).expandingTildeInPath))
                } else {
                    FileHandle.standardOutput.write(Data(result.utf8))
                }
            } catch {
                throw fail(error)
            }
        }
    }
}
