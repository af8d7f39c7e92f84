import Foundation
import HearthCore
import HearthModels
import HearthTesting
import Synchronization
import Testing

@testable import HearthSpeech

/// The real Whisper model the set-up converts (whisper:tiny.en) on whisper.cpp's sample.
extension SpeechLive {
    @Suite struct WhisperModelTests {
        static let jfk = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."

        static func samples() throws -> [Float] {
            let source = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let wav = source.appending(path: ".deps/whisper/jfk.wav")
            guard let data = FileManager.default.contents(atPath: wav.path) else {
                throw HearthError(.notFound, "\(wav.path) is missing: run `make test` (scripts/setup-whisper.sh) first")
            }
            return try AudioDecoder.decode(data).samples
        }

        static func model() async throws -> WhisperModel { try await SpeechLive.whisper() }

        @Test func wordErrorRateCountsEdits() {
            #expect(wordErrorRate("and so my fellow americans", reference: "And so, my fellow Americans.") == 0)
            #expect(wordErrorRate("and my fellow american", reference: "and so my fellow americans") == 0.4)
            #expect(wordErrorRate("", reference: "two words") == 1)
        }

        @Test func jfkIsTranscribedWithinTenPercentWordErrors() async throws {
            let model = try await Self.model()
            let found = Mutex<[Transcript.Segment]>([])
            let transcript = try await model.transcribe(try Self.samples(), options: .init(threads: 1)) { segment in
                found.withLock { $0.append(segment) }
            }
            let rate = wordErrorRate(transcript.text, reference: Self.jfk)
            #expect(rate <= 0.10, "WER \(rate): \(transcript.text)")
            #expect(transcript.language == "en" && abs(transcript.duration - 11) < 0.1)
            // Segments came as they were found, the same the answer holds.
            #expect(found.withLock { $0 } == transcript.segments)
            // The segments span the speech: from its first second to its last.
            #expect((transcript.segments.first?.start ?? 99) < 1 && (transcript.segments.last?.end ?? 0) > 9, "\(transcript.segments)")
        }

        @Test func wordsCarryTheirTimes() async throws {
            let transcript = try await Self.model().transcribe(try Self.samples(), options: .init(words: true, threads: 1))
            let words = transcript.segments.flatMap(\.words)
            #expect(wordErrorRate(words.map(\.word).joined(separator: " "), reference: Self.jfk) <= 0.10)
            #expect(zip(words, words.dropFirst()).allSatisfy { $0.start <= $1.start })
            let country = words.last { $0.word.lowercased().hasPrefix("country") }
            #expect(country.map { $0.start > 8 && $0.end <= 11.1 } == true, "\(words)")
        }

        @Test func aCancelledTranscriptionStopsAtItsNextStep() async throws {
            let model = try await Self.model()
            // Two minutes of the sample, repeated: a dozen sentences, each a segment or more.
            let long = Array(repeating: try Self.samples(), count: 12).flatMap { $0 }
            let task = Mutex<Task<Transcript, any Error>?>(nil)
            let found = Atomic<Int>(0)
            // Cancelled as the first segment is found, from its callback: however loaded the
            // machine, the cancel comes at the same point of the work.
            let started = Task {
                try await model.transcribe(long, options: .init(threads: 1)) { _ in
                    if found.add(1, ordering: .relaxed).newValue == 1 { task.withLock { $0?.cancel() } }
                }
            }
            task.withLock { $0 = started }
            if found.load(ordering: .relaxed) > 0 { started.cancel() }
            await #expect(throws: CancellationError.self) { try await started.value }
            // Stopped with the first window's segments (they come together), far from the twelve
            // sentences' worth the whole audio gives.
            #expect(found.load(ordering: .relaxed) < 12, "\(found.load(ordering: .relaxed)) segments before stopping")
            // The model still works afterwards.
            let again = try await model.transcribe(try Self.samples(), options: .init(threads: 1))
            #expect(wordErrorRate(again.text, reference: Self.jfk) <= 0.10)
        }
    }
}
