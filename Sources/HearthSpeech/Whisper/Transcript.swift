import Foundation

/// What a transcription found: the text in timed segments, and the language.
public struct Transcript: Sendable, Equatable {
    public struct Segment: Sendable, Equatable {
        public var id: Int
        /// Seconds from the start of the audio.
        public var start: Double
        public var end: Double
        public var text: String
        /// The mean log-probability of its tokens.
        public var averageLogProbability: Double
        /// How likely the window held no speech.
        public var noSpeechProbability: Double
        /// Its words with their times, when asked for.
        public var words: [Word]

        public init(
            id: Int, start: Double, end: Double, text: String, averageLogProbability: Double = 0, noSpeechProbability: Double = 0,
            words: [Word] = []
        ) {
            self.id = id
            self.start = start
            self.end = end
            self.text = text
            self.averageLogProbability = averageLogProbability
            self.noSpeechProbability = noSpeechProbability
            self.words = words
        }
    }

    public struct Word: Sendable, Equatable {
        public var word: String
        public var start: Double
        public var end: Double

        public init(word: String, start: Double, end: Double) {
            self.word = word
            self.start = start
            self.end = end
        }
    }

    /// ISO 639-1 code (`en`).
    public var language: String
    /// Seconds of audio.
    public var duration: Double
    public var segments: [Segment]

    public init(language: String, duration: Double, segments: [Segment]) {
        self.language = language
        self.duration = duration
        self.segments = segments
    }

    /// The whole text, segments joined as Whisper writes them (each starts with its space).
    public var text: String {
        segments.map(\.text).joined().trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// SubRip subtitles.
    public var srt: String {
        segments.enumerated().map { index, segment in
            "\(index + 1)\n\(Self.clock(segment.start, ",")) --> \(Self.clock(segment.end, ","))\n\(segment.text.trimmingCharacters(in: .whitespaces))\n"
        }.joined(separator: "\n")
    }

    /// WebVTT subtitles.
    public var vtt: String {
        "WEBVTT\n\n"
            + segments.map { segment in
                "\(Self.clock(segment.start, ".")) --> \(Self.clock(segment.end, "."))\n\(segment.text.trimmingCharacters(in: .whitespaces))\n"
            }.joined(separator: "\n")
    }

    /// `HH:MM:SS,mmm` (SubRip) or `HH:MM:SS.mmm` (WebVTT).
    static func clock(_ seconds: Double, _ separator: String) -> String {
        let milliseconds = max(0, Int((seconds * 1000).rounded()))
        let h = milliseconds / 3_600_000
        let m = milliseconds / 60_000 % 60
        let s = milliseconds / 1000 % 60
        let ms = milliseconds % 1000
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let three = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(two(h)):\(two(m)):\(two(s))\(separator)\(three)"
    }
}
