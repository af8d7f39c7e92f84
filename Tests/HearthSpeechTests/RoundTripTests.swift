import Foundation
import HearthCore
import HearthModels
import HearthTesting
import Synchronization
import Testing

@testable import HearthSpeech

/// The set-up's voice (piper-joe:medium) says twenty sentences; the set-up's Whisper model
/// (whisper:tiny.en) writes down what it heard.
extension SpeechLive {
    @Suite struct RoundTripTests {
        static let sentences = [
            "The library opens early on weekdays and closes late on Fridays.",
            "Please bring a warm coat because the evening will be cold.",
            "Our garden is full of tomatoes, beans and bright yellow flowers.",
            "The train to the coast leaves from the second platform.",
            "She painted the kitchen walls a soft shade of green.",
            "Remember to water the plants before you go on holiday.",
            "The children built a small boat out of wood and string.",
            "A strong wind blew the leaves across the empty street.",
            "He keeps his old letters in a box under the bed.",
            "The museum has a new room for ancient maps and coins.",
            "We walked along the river until the sun went down.",
            "The baker sells fresh bread every morning before dawn.",
            "Turn off the lights when you leave the meeting room.",
            "The doctor said that a short walk each day is good for you.",
            "My neighbour plays the piano in the quiet afternoon.",
            "The bridge was closed for repairs during the whole summer.",
            "They found a lost puppy sleeping near the front door.",
            "The teacher asked the students to read the first chapter.",
            "Heavy rain is expected over the hills later tonight.",
            "Write your name at the top of every page of the form.",
        ]

        static func voice() async throws -> PiperVoice { try await SpeechLive.voice() }

        @Test func whatTheVoiceSaysWhisperWritesDown() async throws {
            let voice = try await Self.voice()
            let whisper = try await SpeechLive.whisper()
            var rates: [Double] = []
            for sentence in Self.sentences {
                let samples = Mutex<[Float]>([])
                try await voice.speak(sentence) { piece in samples.withLock { $0 += piece } }
                // Through a WAV file, as a client would send it: encoded, decoded, resampled to 16 kHz.
                let encoder = try AudioEncoder(format: .wav, sourceRate: voice.sampleRate)
                let wav = try encoder.encode(samples.withLock { $0 }) + encoder.finish()
                let heard = try await whisper.transcribe(try AudioDecoder.decode(wav).samples, options: .init(threads: 1))
                let rate = wordErrorRate(heard.text, reference: sentence)
                rates.append(rate)
                #expect(rate <= 0.5, "said \"\(sentence)\", heard \"\(heard.text)\"")
            }
            let mean = rates.reduce(0, +) / Double(rates.count)
            print("round trip of \(rates.count) sentences: mean word error rate \(mean), worst \(rates.max() ?? 0)")
            #expect(mean <= 0.15, "mean word error rate \(mean)")
        }

        @Test func piecesComeAsTheyAreMade() async throws {
            let voice = try await Self.voice()
            let pieces = Mutex<[Int]>([])
            try await voice.speak("First sentence here. Second one follows. And a third.", speed: 1.5) { samples in
                pieces.withLock { $0.append(samples.count) }
            }
            let counts = pieces.withLock { $0 }
            #expect(counts.count == 3 && counts.allSatisfy { $0 > voice.sampleRate / 4 })
            // Faster speech is shorter.
            let slow = Mutex(0)
            try await voice.speak("First sentence here.", speed: 0.75) { samples in slow.withLock { $0 += samples.count } }
            #expect(slow.withLock { $0 } > counts[0])
        }

        @Test func aCancelledSpeechStopsBetweenPieces() async throws {
            let voice = try await Self.voice()
            let (first, signal) = AsyncStream<Void>.makeStream()
            let made = Atomic<Int>(0)
            let text = Array(repeating: "This sentence is one of many.", count: 40).joined(separator: " ")
            let task = Task {
                try await voice.speak(text) { _ in
                    made.add(1, ordering: .relaxed)
                    signal.yield()
                }
            }
            for await _ in first { break }
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(made.load(ordering: .relaxed) < 40)
        }
    }
}
