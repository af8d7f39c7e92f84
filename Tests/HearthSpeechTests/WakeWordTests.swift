import Foundation
import HearthCore
import HearthModels
import HearthTesting
import Synchronization
import Testing

@testable import HearthSpeech

/// openWakeWord's "hey jarvis" on speech the set-up's voice makes: found where it is said,
/// and nowhere else, near-misses included.
extension SpeechLive {
    @Suite struct WakeWordTests {
        static func detector(_ word: String = "hey-jarvis") async throws -> WakeWordDetector {
            try await WakeWordDetector.load(
                models: .init(
                    melspectrogram: URL(filePath: try TestModels.path("openwakeword:melspectrogram")),
                    embedding: URL(filePath: try TestModels.path("openwakeword:embedding")),
                    word: URL(filePath: try TestModels.path("openwakeword:\(word)"))))
        }

        /// `text` said by the voice, at 16 kHz.
        static func said(_ text: String, by voice: PiperVoice) async throws -> [Float] {
            let samples = Mutex<[Float]>([])
            try await voice.speak(text) { piece in samples.withLock { $0 += piece } }
            let encoder = try AudioEncoder(format: .wav, sourceRate: voice.sampleRate)
            return try AudioDecoder.decode(try encoder.encode(samples.withLock { $0 }) + encoder.finish()).samples
        }

        @Test func heyJarvisIsFoundWhereItIsSaidAndNowhereElse() async throws {
            let voice = try await SpeechLive.voice()
            let phrases = [
                ("The weather is nice today, let us go for a walk.", false),
                ("Hey Jarvis, turn on the kitchen lights.", true),
                ("Hey, Travis is coming over for dinner tonight.", false),
                ("The jar of honey is on the top shelf.", false),
                ("The service was quick and the staff were friendly.", false),
                ("Hey Jarvis, what time is it?", true),
                ("Harvest season starts early this year.", false),
            ]
            var audio = [Float](repeating: 0, count: 16_000)
            var spans: [(Range<Double>, Bool, String)] = []
            for (text, wake) in phrases {
                let start = Double(audio.count) / 16_000
                audio += try await Self.said(text, by: voice)
                spans.append((start..<Double(audio.count) / 16_000 + 0.5, wake, text))
                audio += [Float](repeating: 0, count: 24_000)
            }
            let detector = try await Self.detector()
            // Fed as a microphone would: 100 ms at a time (off Swift's task threads: the models compute).
            let fed = audio
            let scores = try await Blocking.run {
                var scores: [WakeWordDetector.Score] = []
                for start in stride(from: 0, to: fed.count, by: 1600) {
                    scores += try detector.feed(Array(fed[start..<min(start + 1600, fed.count)]))
                }
                return scores
            }
            #expect(abs((scores.last?.time ?? 0) - Double(audio.count) / 16_000) < 0.2)
            for (span, wake, text) in spans {
                let best = scores.filter { span.contains($0.time) }.map(\.score).max() ?? 0
                if wake {
                    #expect(best > 0.5, "\"\(text)\": best score \(best)")
                } else {
                    #expect(best < 0.5, "\"\(text)\": best score \(best)")
                }
            }
            let outside = scores.filter { score in !spans.contains { $0.0.contains(score.time) } }.map(\.score).max() ?? 0
            #expect(outside < 0.5)
        }

        @Test func anotherWakeWordDoesNotAnswerToJarvis() async throws {
            let voice = try await SpeechLive.voice()
            let audio = try await Self.said("Hey Jarvis, turn on the kitchen lights.", by: voice)
            let alexa = try await Self.detector("alexa")
            #expect((try await Blocking.run { try alexa.feed(audio) }.map(\.score).max() ?? 1) < 0.5)
        }
    }

}

/// The listener: the wake word, then what is said until a pause, transcribed.
extension SpeechLive {
    @Suite struct ListenerTests {
        static func listener() async throws -> Listener {
            let whisper = try await SpeechLive.whisper()
            return Listener(detector: try await WakeWordTests.detector(), wakePhrase: "hey jarvis") { samples in
                try await whisper.transcribe(samples, options: .init(threads: 1)).text
            }
        }

        @Test func theCommandAfterTheWakeWordIsHeardUntilThePause() async throws {
            let voice = try await SpeechLive.voice()
            var audio = [Float](repeating: 0, count: 16_000)
            audio += try await WakeWordTests.said("Good morning everyone.", by: voice)
            audio += [Float](repeating: 0, count: 16_000)
            audio += try await WakeWordTests.said("Hey Jarvis, show me the largest files in this folder.", by: voice)
            audio += [Float](repeating: 0, count: 24_000)
            // After the pause: not part of the command, and no wake word.
            audio += try await WakeWordTests.said("The kettle is boiling in the kitchen.", by: voice)
            audio += [Float](repeating: 0, count: 16_000)
            let listener = try await Self.listener()
            var events: [ListenEvent] = []
            for start in stride(from: 0, to: audio.count, by: 3200) {
                events += try await listener.feed(Array(audio[start..<min(start + 3200, audio.count)]))
            }
            events += try await listener.finish()
            #expect(events.count == 2, "\(events)")
            guard case .wake(let time, let score)? = events.first, case .transcript(let text, let start, let end)? = events.last else {
                Issue.record("expected a wake word, then a transcript: \(events)")
                return
            }
            #expect(score > 0.5 && time > 2 && time < 5)
            #expect(wordErrorRate(text, reference: "show me the largest files in this folder") <= 0.2, "\(text)")
            #expect(start < time && end < Double(audio.count) / 16_000 - 2)
        }

        @Test func withoutTheWakeWordNothingIsHeard() async throws {
            let voice = try await SpeechLive.voice()
            let audio = try await WakeWordTests.said("Please show me the largest files in this folder.", by: voice)
            let listener = try await Self.listener()
            #expect(try await listener.feed(audio + [Float](repeating: 0, count: 16_000)).isEmpty)
            #expect(try await listener.finish().isEmpty)
        }

        @Test func theWakeWordIsTakenOffTheStartOfATranscript() async throws {
            let listener = try await Self.listener()
            #expect(listener.withoutWakeWords("Hey, Jarvis! Turn it off.") == "Turn it off.")
            #expect(listener.withoutWakeWords("Turn off Jarvis.") == "Turn off Jarvis.")
        }
    }
}
