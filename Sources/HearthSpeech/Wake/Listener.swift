import Foundation

/// What a listener heard.
public enum ListenEvent: Sendable, Equatable {
    /// The wake word, `time` seconds into the stream.
    case wake(time: Double, score: Float)
    /// What was said after it, until a pause.
    case transcript(text: String, start: Double, end: Double)
    /// The wake word was heard, but nothing was said after it.
    case silence(time: Double)
}

/// A stream of 16 kHz audio listened to for the wake word; after it, what is said is kept
/// until a pause (0.8 s quieter than speech, or 15 s in all) and handed to `transcribe`.
/// One stream at a time: a listener is not shared between threads.
public final class Listener {
    /// Louder than this, a 100 ms frame is speech (the floor: quieter rooms still need it).
    static let minimumLevel: Float = 0.01
    static let frame = 1600
    static let pauseFrames = 8
    static let maxFrames = 150
    static let noSpeechFrames = 40
    /// Audio kept from before the detection (the end of the wake word, the start of what follows).
    static let preRoll = 3200

    public let threshold: Float
    private let detector: WakeWordDetector
    private let wakeWords: [String]
    private let transcribe: ([Float]) async throws -> String
    private var position = 0
    private var recent: [Float] = []
    private var noise: [Float] = []
    /// While recording: the samples, where they start, frames of speech and of the pause after it.
    private var recording: (samples: [Float], start: Int, speech: Int, quiet: Int, frames: Int)?
    private var pending: [Float] = []
    /// Where the detector computes (its models run for every 80 ms of audio).
    private let queue = DispatchQueue(label: "hearth.listener")

    /// - Parameters:
    ///   - wakePhrase: the wake word's words ("hey jarvis"), taken off the start of a transcript.
    public init(
        detector: WakeWordDetector, wakePhrase: String, threshold: Float = 0.5, transcribe: @escaping ([Float]) async throws -> String
    ) {
        self.detector = detector
        self.threshold = threshold
        self.transcribe = transcribe
        wakeWords = wakePhrase.lowercased().split { !$0.isLetter }.map(String.init)
    }

    /// Feeds 16 kHz mono samples in [-1, 1]; returns what they completed.
    public func feed(_ samples: [Float]) async throws -> [ListenEvent] {
        var events: [ListenEvent] = []
        let scores = try await Blocking.run(on: queue) { [detector] in try detector.feed(samples) }
        pending += samples
        var scoreIndex = 0
        while pending.count >= Self.frame {
            let frame = Array(pending[0..<Self.frame])
            pending.removeFirst(Self.frame)
            position += Self.frame
            let time = Double(position) / 16_000
            if recording == nil {
                recent = Array((recent + frame).suffix(Self.preRoll))
                noise = Array((noise + [Self.level(frame)]).suffix(50))
                while scoreIndex < scores.count, scores[scoreIndex].time <= time + 0.05 {
                    let score = scores[scoreIndex]
                    scoreIndex += 1
                    if score.score >= threshold, recording == nil {
                        events.append(.wake(time: score.time, score: score.score))
                        recording = (recent, position - recent.count, 0, 0, 0)
                    }
                }
            } else if var current = recording {
                current.samples += frame
                current.frames += 1
                if Self.level(frame) > speechLevel {
                    current.speech += 1
                    current.quiet = 0
                } else if current.speech > 0 {
                    current.quiet += 1
                }
                recording = current
                let paused = current.speech > 0 && current.quiet >= Self.pauseFrames
                if paused || current.frames >= Self.maxFrames || (current.speech == 0 && current.frames >= Self.noSpeechFrames) {
                    events += try await close()
                }
            }
        }
        return events
    }

    /// The end of the stream: what is being recorded is transcribed.
    public func finish() async throws -> [ListenEvent] {
        if recording != nil {
            recording?.samples += pending
            pending = []
            return try await close()
        }
        return []
    }

    private func close() async throws -> [ListenEvent] {
        guard let current = recording else { return [] }
        recording = nil
        let start = Double(current.start) / 16_000
        let end = Double(current.start + current.samples.count) / 16_000
        guard current.speech > 0 else { return [.silence(time: end)] }
        let text = withoutWakeWords(try await transcribe(current.samples))
        return text.isEmpty ? [.silence(time: end)] : [.transcript(text: text, start: start, end: end)]
    }

    /// Speech is louder than four times the room's quiet (its 20th percentile of late).
    private var speechLevel: Float {
        let sorted = noise.sorted()
        let floor = sorted.isEmpty ? 0 : sorted[sorted.count / 5]
        return max(Self.minimumLevel, floor * 4)
    }

    /// Root mean square of a frame.
    static func level(_ frame: [Float]) -> Float {
        (frame.reduce(0) { $0 + $1 * $1 } / Float(max(frame.count, 1))).squareRoot()
    }

    /// `text` without the wake word's words at its start ("Hey Jarvis, turn on …" → "turn on …").
    func withoutWakeWords(_ text: String) -> String {
        var words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        while let first = words.first, wakeWords.contains(first.lowercased().filter(\.isLetter)) { words.removeFirst() }
        return words.joined(separator: " ").trimmingCharacters(in: .whitespaces)
    }
}
