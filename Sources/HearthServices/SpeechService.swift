import Foundation
import HearthCore
import HearthModels
import HearthSpeech
import Synchronization

/// Speech: audio files transcribed (or translated into English) by a Whisper model of the
/// store, and text spoken by a Piper voice of the store; models are loaded on first use and kept.
public struct SpeechService: Sendable {
    /// What a caller asks of a transcription.
    public struct Request: Sendable {
        /// A Whisper model of the store; nil, empty or OpenAI's `whisper-1`: the default.
        public var model: String?
        public var language: String?
        public var prompt: String?
        public var temperature: Double
        public var translate: Bool
        /// Word timings.
        public var words: Bool

        public init(
            model: String? = nil, language: String? = nil, prompt: String? = nil, temperature: Double = 0, translate: Bool = false,
            words: Bool = false
        ) {
            self.model = model
            self.language = language
            self.prompt = prompt
            self.temperature = temperature
            self.translate = translate
            self.words = words
        }
    }

    /// What a caller asks to hear.
    public struct SpeakRequest: Sendable {
        public var input: String
        /// A voice of the store, or one of OpenAI's names (alloy, …: the default voice).
        public var voice: String?
        /// OpenAI's `tts-1`, … (the default voice), or a voice of the store.
        public var model: String?
        public var format: String
        /// 0.25 to 4.
        public var speed: Double

        public init(input: String, voice: String? = nil, model: String? = nil, format: String = "mp3", speed: Double = 1) {
            self.input = input
            self.voice = voice
            self.model = model
            self.format = format
            self.speed = speed
        }
    }

    /// OpenAI's voice names: each means the default voice.
    static let openAIVoices: Set<String> = [
        "alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse", "marin", "cedar",
    ]

    private let store: ModelStore?
    /// The model of requests that name none, or `whisper-1`.
    public let defaultModel: String
    /// The voice of requests that name none, or one of OpenAI's.
    public let defaultVoice: String
    private let threads: Int
    private let maxSeconds: Double
    private let whisper = Loaded<WhisperModel>()
    private let voices = Loaded<PiperVoice>()

    /// Models loaded once, by name; a failed load is forgotten.
    private final class Loaded<Model: Sendable>: Sendable {
        let models = Mutex<[String: Task<Model, any Error>]>([:])

        func model(_ name: String, load: @escaping @Sendable () async throws -> Model) async throws -> Model {
            let task = models.withLock { models in
                if let task = models[name] { return task }
                let task = Task { try await load() }
                models[name] = task
                return task
            }
            do {
                return try await task.value
            } catch {
                _ = models.withLock { $0.removeValue(forKey: name) }
                throw error
            }
        }
    }

    /// - Parameters:
    ///   - store: where Whisper models are found (none: every request answers 404).
    ///   - threads: CPU threads a transcription computes on.
    ///   - maxSeconds: the longest audio transcribed at once.
    public init(
        store: ModelStore?, defaultModel: String = "whisper:tiny.en", defaultVoice: String = "piper-joe:medium", threads: Int = 1,
        maxSeconds: Double = 4 * 3600
    ) {
        self.store = store
        self.defaultModel = defaultModel
        self.defaultVoice = defaultVoice
        self.threads = threads
        self.maxSeconds = maxSeconds
    }

    /// Transcribes `audio`, a file's bytes, calling `segment` with each segment as it is found.
    /// - Throws: `HearthError.invalidRequest` for audio Hearth cannot read, a model that is not
    ///   Whisper, or a language it does not know; `.modelNotFound` for a model not installed or
    ///   not allowed to the caller's key.
    public func transcribe(
        _ audio: Data, _ request: Request, by principal: Principal,
        segment: @escaping @Sendable (Transcript.Segment) -> Void = { _ in }
    ) async throws -> Transcript {
        let name = try modelName(request.model, for: principal)
        if let language = request.language, !language.isEmpty, language != "auto", !WhisperModel.knows(language: language) {
            throw HearthError.invalidRequest(
                "\"\(language)\" is not a language Whisper knows; use an ISO 639-1 code such as en", field: "language")
        }
        let model = try await load(name)
        if let language = request.language?.lowercased(), !model.multilingual, !["", "auto", "en", "english"].contains(language) {
            throw HearthError.invalidRequest("\(name) transcribes English only", field: "language")
        }
        let decoded = try await Blocking.run { [maxSeconds] in try AudioDecoder.decode(audio, maxSeconds: maxSeconds) }
        let language = request.language.flatMap { $0.isEmpty || $0 == "auto" ? nil : $0.lowercased() }
        let options = WhisperModel.Options(
            language: language, translate: request.translate, prompt: request.prompt,
            temperature: min(max(request.temperature, 0), 1), words: request.words, threads: threads)
        return try await model.transcribe(decoded.samples, options: options, segment: segment)
    }

    /// The store name a request's model means.
    func modelName(_ requested: String?, for principal: Principal) throws -> String {
        let requested = requested.flatMap { $0.isEmpty || $0 == "whisper-1" ? nil : $0 } ?? defaultModel
        guard !ModelStore.isPath(requested) else { throw HearthError.modelNotFound(requested) }
        return try ChatService.allowed(requested, for: principal)
    }

    private func load(_ name: String) async throws -> WhisperModel {
        let blob = try installed(name, kind: "speech-to-text", example: "whisper:tiny.en") { $0.speechToText }
        return try await whisper.model(name) { try await WhisperModel.load(name: name, file: blob) }
    }

    /// The blob of the installed model `name`, when `isKind` holds for it.
    private func installed(_ name: String, kind: String, example: String, _ isKind: (ModelMetadata) -> Bool) throws -> URL {
        guard let store, let entry = try store.entry(name) else { throw HearthError.modelNotFound(name) }
        guard isKind(try store.metadata(of: entry)) else {
            throw HearthError.invalidRequest("\(name) is not a \(kind) model; install one such as \(example)", field: "model")
        }
        return entry.blob
    }

    /// Says `request.input`: the format, and the audio as it is made. Failures before the
    /// first sound (no such voice, bad input) are thrown here.
    /// - Throws: `HearthError.invalidRequest` for empty or overlong input, an unknown format or
    ///   speed; `.modelNotFound` for a voice not installed or not allowed to the caller's key.
    public func speak(_ request: SpeakRequest, by principal: Principal) async throws -> (SpeechFormat, AsyncThrowingStream<Data, any Error>)
    {
        let input = request.input.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !input.isEmpty else { throw HearthError.invalidRequest("input is empty: give the text to say", field: "input") }
        guard input.count <= 4096 else {
            throw HearthError.invalidRequest("input is \(input.count) characters; at most 4096 are said at once", field: "input")
        }
        guard let format = SpeechFormat(rawValue: request.format) else {
            throw HearthError.invalidRequest(
                "response_format must be one of \(SpeechFormat.allCases.map(\.rawValue).joined(separator: ", ")), got '\(request.format)'",
                field: "response_format")
        }
        guard (0.25...4).contains(request.speed) else {
            throw HearthError.invalidRequest("speed must be from 0.25 to 4, got \(request.speed)", field: "speed")
        }
        let name = try voiceName(request, for: principal)
        let blob = try installed(name, kind: "voice", example: "piper-joe:medium") { $0.textToSpeech }
        let voice = try await voices.model(name) { [threads] in try await PiperVoice.load(name: name, file: blob, threads: threads) }
        let encoder = try Encoder(AudioEncoder(format: format, sourceRate: voice.sampleRate))
        let (audio, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        let work = Task {
            do {
                try await voice.speak(input, speed: request.speed) { samples in
                    do {
                        let bytes = try encoder.encoder.encode(samples)
                        if !bytes.isEmpty { continuation.yield(bytes) }
                    } catch {
                        continuation.finish(throwing: error)
                    }
                }
                continuation.yield(try encoder.encoder.finish())
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in work.cancel() }
        return (format, audio)
    }

    /// The encoder of one answer, used by one piece at a time.
    private final class Encoder: @unchecked Sendable {
        let encoder: AudioEncoder
        init(_ encoder: AudioEncoder) { self.encoder = encoder }
    }

    /// The store voice a request means: its `voice` when that is a store name, else its
    /// `model` when that is, else the default (for OpenAI's names and none).
    func voiceName(_ request: SpeakRequest, for principal: Principal) throws -> String {
        let voice = request.voice?.trimmingCharacters(in: .whitespaces) ?? ""
        let model = request.model?.trimmingCharacters(in: .whitespaces) ?? ""
        let name: String
        if voice.contains(":") || (!voice.isEmpty && !Self.openAIVoices.contains(voice.lowercased())) {
            name = voice
        } else if model.contains(":") {
            name = model
        } else {
            name = defaultVoice
        }
        guard !ModelStore.isPath(name) else { throw HearthError.modelNotFound(name) }
        return try ChatService.allowed(name, for: principal)
    }

    /// A listener for the wake word `wake` (`hey-jarvis`, or a store name such as
    /// `openwakeword:alexa`; none: `hey-jarvis`) whose commands are transcribed as `request` asks.
    /// - Throws: `HearthError.modelNotFound` for a wake word or Whisper model not installed (or
    ///   not on the caller's key); `.invalidRequest` for a model of another kind.
    public func listener(wake: String?, _ request: Request, by principal: Principal) async throws -> Listener {
        let word = wake.flatMap { $0.isEmpty ? nil : $0 } ?? "hey-jarvis"
        let name = word.contains(":") ? word : "openwakeword:\(word)"
        func model(_ name: String) throws -> URL {
            try installed(name, kind: "wake-word", example: "openwakeword:hey-jarvis") { $0.wakeWord }
        }
        let models = WakeWordDetector.Models(
            melspectrogram: try model("openwakeword:melspectrogram"), embedding: try model("openwakeword:embedding"),
            word: try model(try ChatService.allowed(name, for: principal)))
        let speechModel = try modelName(request.model, for: principal)
        let whisper = try await load(speechModel)
        let options = WhisperModel.Options(language: request.language, prompt: request.prompt, threads: threads)
        let phrase = name.split(separator: ":").last.map { $0.replacingOccurrences(of: "-", with: " ") } ?? ""
        return Listener(detector: try await WakeWordDetector.load(models: models), wakePhrase: phrase) { samples in
            try await whisper.transcribe(samples, options: options).text
        }
    }
}
