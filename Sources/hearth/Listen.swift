import ArgumentParser
import Foundation
import HearthClient
import HearthCore
import HearthSpeech
import HearthWire

extension Hearth {
    struct Listen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Listen for a wake word, then hear what is said after it (openWakeWord, Whisper).",
            discussion: """
                The audio goes to the server (GET /hearth/listen, a WebSocket), which spots the wake
                word and transcribes what follows it until a pause. Each command is printed, or
                asked of the default chat model (--then chat), or handed to aish (--then aish),
                which proposes a shell command and runs nothing without your confirmation.

                Audio: a file (WAV, FLAC, OGG, MP3, …), or '-' for raw 16 kHz mono 16-bit
                little-endian samples on standard input, as a microphone gives them:

                Examples:
                  arecord -q -f S16_LE -r 16000 -c 1 -t raw | hearth listen - --then aish
                  hearth listen kitchen.wav --wake alexa
                """)

        @Argument(help: "An audio file, or '-' for raw 16 kHz 16-bit mono samples on standard input.")
        var audio: String

        @Option(help: "Wake word: hey-jarvis, alexa or hey-mycroft (an installed openwakeword: model).")
        var wake = "hey-jarvis"

        @Option(help: "Whisper model for what is said (default: HEARTH_SPEECH_MODEL).")
        var model: String?

        @Option(help: "Language spoken, as an ISO 639-1 code.")
        var language: String?

        @Option(help: "What to do with each command: print, chat or aish.")
        var then = "print"

        @OptionGroup var engine: EngineFlags

        func validate() throws {
            guard ["print", "chat", "aish"].contains(then) else { throw ValidationError("--then must be print, chat or aish") }
        }

        func run() async throws {
            let audio = try pieces()
            let (wake, model, language, then) = (wake, model, language, then)
            do {
                try await Connection.run(try engine.configuration()) { client in
                    try await client.listen(wake: wake, model: model, language: language, audio: audio) { event in
                        switch event.type {
                        case "ready": Self.say("listening for \"\(event.wakeWord ?? wake)\"")
                        case "wake": Self.say(String(format: "wake word at %.1f s", event.time ?? 0))
                        case "silence": Self.say("(nothing said after it)")
                        case "transcript":
                            let text = event.text ?? ""
                            Self.say("heard: \(text)")
                            try await Self.act(on: text, then: then, client: client)
                        default: break
                        }
                    }
                }
            } catch {
                throw fail(error)
            }
        }

        /// The audio in 100 ms pieces of 16 kHz 16-bit samples.
        func pieces() throws -> AsyncThrowingStream<Data, any Error> {
            if audio == "-" {
                return AsyncThrowingStream { continuation in
                    let reader = Thread {
                        while true {
                            let piece = FileHandle.standardInput.readData(ofLength: 3200)
                            if piece.isEmpty { break }
                            continuation.yield(piece)
                        }
                        continuation.finish()
                    }
                    reader.start()
                }
            }
            guard let data = FileManager.default.contents(atPath: (audio as NSString).expandingTildeInPath) else {
                throw fail(HearthError.invalidRequest("cannot read \(audio)"))
            }
            let samples: [Float]
            do { samples = try AudioDecoder.decode(data).samples } catch { throw fail(error) }
            return AsyncThrowingStream { continuation in
                for start in stride(from: 0, to: samples.count, by: 1600) {
                    continuation.yield(AudioEncoder.pcm16(samples[start..<min(start + 1600, samples.count)]))
                }
                continuation.finish()
            }
        }

        /// A line to standard output at once (a pipe would hold it back).
        static func say(_ line: String) {
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }

        static func act(on text: String, then: String, client: HearthClient) async throws {
            switch then {
            case "chat":
                let reply = try await client.chat(
                    OpenAI.ChatCompletionRequest(model: nil, messages: [OpenAI.Message(role: "user", content: text)]))
                say(reply.choices.first?.message.content ?? "")
            case "aish":
                // aish asks before running anything; it reads the terminal, not this process's audio.
                let aish = URL(filePath: CommandLine.arguments[0]).deletingLastPathComponent().appending(path: "aish")
                let process = Process()
                process.executableURL = FileManager.default.isExecutableFile(atPath: aish.path) ? aish : URL(filePath: "/usr/bin/env")
                process.arguments = (process.executableURL == aish ? [] : ["aish"]) + [text]
                if let terminal = FileHandle(forReadingAtPath: "/dev/tty") { process.standardInput = terminal }
                try process.run()
                process.waitUntilExit()
            default: break
            }
        }
    }
}
