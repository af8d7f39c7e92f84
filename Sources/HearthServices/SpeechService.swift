import Foundation
import HearthCore
import HearthModels
import HearthSpeech
import Synchronization

/// Speech to text: audio files transcribed (or translated into English) by a Whisper model
/// of the store, loaded on first use and kept.
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

    private let store: ModelStore?
    /// The model of requests that name none, or `whisper-1`.
    public let defaultModel: String
    private let threads: Int
    private let maxSeconds: Double
    private let loaded = Loaded()

    private final class Loaded: Sendable {
        let models = Mutex<[String: Task<WhisperModel, any Error>]>([:])
    }

    /// - Parameters:
    ///   - store: where Whisper models are found (none: every request answers 404).
    ///   - threads: CPU threads a transcription computes on.
    ///   - maxSeconds: the longest audio transcribed at once.
    public init(store: ModelStore?, defaultModel: String = "whisper:tiny.en", threads: Int = 1, maxSeconds: Double = 4 * 3600) {
        self.store = store
        self.defaultModel = defaultModel
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
        let decoded = try AudioDecoder.decode(audio, maxSeconds: maxSeconds)
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
        let task = try loaded.models.withLock { models -> Task<WhisperModel, any Error> in
            if let task = models[name] { return task }
            guard let store, let entry = try store.entry(name) else { throw HearthError.modelNotFound(name) }
            guard try ModelMetadata.read(entry.blob).speechToText else {
                throw HearthError.invalidRequest(
                    "\(name) is not a speech-to-text model; install one such as whisper:tiny.en", field: "model")
            }
            let task = Task { try WhisperModel(name: name, file: entry.blob) }
            models[name] = task
            return task
        }
        do {
            return try await task.value
        } catch {
            _ = loaded.models.withLock { $0.removeValue(forKey: name) }
            throw error
        }
    }
}
