import Foundation
import HearthCore
import HearthModels
import HearthTesting
import Synchronization
import Testing

@testable import HearthSpeech

/// openWakeWord's "hey jarvis" on speech the set-up's voice makes: found where it is said,
/// and nowhere else, near-misses included.
@Suite(.serialized) struct WakeWordTests {
    static func detector(_ word: String = "hey-jarvis") throws -> WakeWordDetector {
        try WakeWordDetector(
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
        let voice = try PiperVoice(name: "piper-joe:medium", file: URL(filePath: try TestModels.path("piper-joe:medium")), threads: 2)
        let phrases = [
            ("The weather is nice today, let us go for a walk.", false),
            ("Hey Jarvis, turn on the kitchen lights.", true),
            ("Hey, Travis is coming over for dinner tonight.", false),
            ("The jar of honey is on the top shelf.", false),
            ("Please call Jarvis when you get home.", false),
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
        let detector = try Self.detector()
        var scores: [WakeWordDetector.Score] = []
        // Fed as a microphone would: 100 ms at a time.
        for start in stride(from: 0, to: audio.count, by: 1600) {
            scores += try detector.feed(Array(audio[start..<min(start + 1600, audio.count)]))
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
        let voice = try PiperVoice(name: "piper-joe:medium", file: URL(filePath: try TestModels.path("piper-joe:medium")), threads: 2)
        let audio = try await Self.said("Hey Jarvis, turn on the kitchen lights.", by: voice)
        let alexa = try Self.detector("alexa")
        #expect((try alexa.feed(audio).map(\.score).max() ?? 1) < 0.5)
    }
}
