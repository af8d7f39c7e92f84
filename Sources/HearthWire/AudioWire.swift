import Foundation

/// OpenAI's audio endpoints on the wire (`/v1/audio/transcriptions`, `/v1/audio/translations`,
/// `/v1/audio/speech`).
public enum AudioWire {
    /// `response_format`.
    public enum Format: String, Sendable, CaseIterable {
        case json, text, srt, vtt
        case verboseJSON = "verbose_json"
    }

    /// `POST /v1/audio/speech`.
    public struct SpeechRequest: Codable, Sendable, Equatable {
        public var model: String?
        public var input: String
        public var voice: String?
        public var responseFormat: String?
        public var speed: Double?
        /// How to speak (OpenAI's newer models); Piper voices do not take it.
        public var instructions: String?
        /// `audio` (the default) or `sse`.
        public var streamFormat: String?

        enum CodingKeys: String, CodingKey {
            case model, input, voice, speed, instructions
            case responseFormat = "response_format"
            case streamFormat = "stream_format"
        }

        public init(model: String? = nil, input: String, voice: String? = nil, responseFormat: String? = nil, speed: Double? = nil) {
            self.model = model
            self.input = input
            self.voice = voice
            self.responseFormat = responseFormat
            self.speed = speed
        }
    }

    /// `json`: the text alone.
    public struct Transcription: Codable, Sendable, Equatable {
        public var text: String

        public init(text: String) { self.text = text }
    }

    /// `verbose_json`: the text with its segments (and words, when asked).
    public struct VerboseTranscription: Codable, Sendable, Equatable {
        public var task: String
        /// The language's English name (`english`).
        public var language: String
        /// Seconds of audio.
        public var duration: Double
        public var text: String
        public var segments: [Segment]?
        public var words: [Word]?

        public init(task: String, language: String, duration: Double, text: String, segments: [Segment]?, words: [Word]?) {
            self.task = task
            self.language = language
            self.duration = duration
            self.text = text
            self.segments = segments
            self.words = words
        }
    }

    public struct Segment: Codable, Sendable, Equatable {
        public var id: Int
        public var seek: Int
        public var start: Double
        public var end: Double
        public var text: String
        public var tokens: [Int]
        public var temperature: Double
        public var avgLogprob: Double
        public var compressionRatio: Double
        public var noSpeechProb: Double

        enum CodingKeys: String, CodingKey {
            case id, seek, start, end, text, tokens, temperature
            case avgLogprob = "avg_logprob"
            case compressionRatio = "compression_ratio"
            case noSpeechProb = "no_speech_prob"
        }

        public init(
            id: Int, seek: Int, start: Double, end: Double, text: String, tokens: [Int] = [], temperature: Double, avgLogprob: Double,
            compressionRatio: Double, noSpeechProb: Double
        ) {
            self.id = id
            self.seek = seek
            self.start = start
            self.end = end
            self.text = text
            self.tokens = tokens
            self.temperature = temperature
            self.avgLogprob = avgLogprob
            self.compressionRatio = compressionRatio
            self.noSpeechProb = noSpeechProb
        }
    }

    public struct Word: Codable, Sendable, Equatable {
        public var word: String
        public var start: Double
        public var end: Double

        public init(word: String, start: Double, end: Double) {
            self.word = word
            self.start = start
            self.end = end
        }
    }

    /// A streamed piece of the text (`stream=true`): `transcript.text.delta`, then one `transcript.text.done`.
    public struct StreamEvent: Codable, Sendable, Equatable {
        public var type: String
        public var delta: String?
        public var text: String?

        public static func delta(_ text: String) -> StreamEvent { StreamEvent(type: "transcript.text.delta", delta: text, text: nil) }
        public static func done(_ text: String) -> StreamEvent { StreamEvent(type: "transcript.text.done", delta: nil, text: text) }
    }
}

extension AudioWire {
    /// A message `GET /hearth/listen` (a WebSocket) sends: `ready` (listening, for which wake
    /// word), `wake` (heard, `time` seconds in, with its `score`), `transcript` (what was said
    /// after it), `silence` (nothing was), `error`.
    public struct ListenEvent: Codable, Sendable, Equatable {
        public var type: String
        public var wakeWord: String?
        public var time: Double?
        public var score: Double?
        public var text: String?
        public var start: Double?
        public var end: Double?
        public var message: String?

        enum CodingKeys: String, CodingKey {
            case type, time, score, text, start, end, message
            case wakeWord = "wake_word"
        }

        public init(
            type: String, wakeWord: String? = nil, time: Double? = nil, score: Double? = nil, text: String? = nil, start: Double? = nil,
            end: Double? = nil, message: String? = nil
        ) {
            self.type = type
            self.wakeWord = wakeWord
            self.time = time
            self.score = score
            self.text = text
            self.start = start
            self.end = end
            self.message = message
        }
    }
}
