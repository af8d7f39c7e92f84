internal import CWhisper
import Foundation
import HearthCore
import Synchronization

/// A whisper.cpp model loaded in-process. Transcriptions run one at a time on a thread of
/// the model's own (whisper.cpp computes for seconds and must not hold a Swift task thread);
/// the others wait in order.
public final class WhisperModel: Sendable {
    /// What to transcribe and how.
    public struct Options: Sendable {
        /// ISO 639-1 code or language name; nil detects it.
        public var language: String?
        /// Into English rather than in the language spoken.
        public var translate = false
        /// Text the transcription continues (names, spelling, style).
        public var prompt: String?
        /// 0: beam search (5 beams), falling back to higher temperatures where it fails; more: sampled.
        public var temperature: Double = 0
        /// Word timings.
        public var words = false
        public var threads = 1

        public init(
            language: String? = nil, translate: Bool = false, prompt: String? = nil, temperature: Double = 0, words: Bool = false,
            threads: Int = 1
        ) {
            self.language = language
            self.translate = translate
            self.prompt = prompt
            self.temperature = temperature
            self.words = words
            self.threads = threads
        }
    }

    public let name: String
    public let multilingual: Bool
    private let pointer: Pointer
    private let queue: DispatchQueue

    private struct Pointer: @unchecked Sendable { let raw: OpaquePointer }

    /// Loads `file`.
    /// - Throws: `HearthError.modelLoadFailed` when whisper.cpp cannot load it.
    public init(name: String, file: URL) throws {
        Self.quietOnce
        guard let raw = hearth_whisper_load(file.path) else {
            throw HearthError(.modelLoadFailed, "\(name) cannot be loaded as a Whisper model", detail: file.path)
        }
        self.name = name
        pointer = Pointer(raw: raw)
        multilingual = hearth_whisper_multilingual(raw)
        queue = DispatchQueue(label: "hearth.whisper.\(name)")
    }

    deinit { hearth_whisper_free(pointer.raw) }

    /// Loads `file` off Swift's task threads.
    public static func load(name: String, file: URL) async throws -> WhisperModel {
        try await Blocking.run { try WhisperModel(name: name, file: file) }
    }

    private static let quietOnce: Void = hearth_whisper_quiet()

    /// The English name of a language code (`en` → `english`), as OpenAI's answers give it.
    public static func languageName(_ code: String) -> String {
        hearth_whisper_language_name(code).map { String(cString: $0) } ?? code
    }

    /// Whether whisper.cpp knows `language` (`en`, `english`, …).
    public static func knows(language: String) -> Bool { hearth_whisper_knows_language(language.lowercased()) }

    /// Transcribes 16 kHz mono `samples`, calling `segment` with each segment as it is found.
    /// Cancelling the task stops the computation at its next step.
    /// - Throws: `CancellationError` when cancelled; `HearthError.internalError` when whisper.cpp fails.
    public func transcribe(
        _ samples: [Float], options: Options, segment: @escaping @Sendable (Transcript.Segment) -> Void = { _ in }
    ) async throws -> Transcript {
        let run = Run(options: options, segment: segment)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Transcript, any Error>) in
                queue.async { [self] in
                    continuation.resume(with: Result { try compute(samples, run) })
                }
            }
        } onCancel: {
            run.stopped.store(true, ordering: .relaxed)
        }
    }

    /// The state of one transcription, shared with the C callbacks.
    private final class Run: Sendable {
        let options: Options
        let segment: @Sendable (Transcript.Segment) -> Void
        let stopped = Atomic<Bool>(false)
        let reported = Mutex(0)
        /// Set while computing, for the segment callback.
        let model = Mutex<Pointer?>(nil)

        init(options: Options, segment: @escaping @Sendable (Transcript.Segment) -> Void) {
            self.options = options
            self.segment = segment
        }
    }

    private func compute(_ samples: [Float], _ run: Run) throws -> Transcript {
        if run.stopped.load(ordering: .relaxed) { throw CancellationError() }
        run.model.withLock { $0 = pointer }
        var o = run.options
        // An English-only model hears English, whatever was asked.
        if !multilingual { o.language = "en" }
        let user = Unmanaged.passUnretained(run).toOpaque()
        let status: Int32 = withExtendedLifetime(run) {
            o.language.withOptionalCString { language in
                o.prompt.withOptionalCString { prompt in
                    var options = hearth_whisper_options(
                        threads: Int32(max(1, o.threads)), language: language, translate: o.translate, prompt: prompt,
                        temperature: Float(o.temperature), token_timestamps: o.words,
                        on_segments: { user, _ in
                            let run = Unmanaged<Run>.fromOpaque(user!).takeUnretainedValue()
                            guard let model = run.model.withLock({ $0 }) else { return }
                            let count = Int(hearth_whisper_segment_count(model.raw))
                            let first = run.reported.withLock { done in
                                defer { done = count }
                                return done
                            }
                            for index in first..<count { run.segment(WhisperModel.segment(model.raw, index, words: run.options.words)) }
                        },
                        should_stop: { user in Unmanaged<Run>.fromOpaque(user!).takeUnretainedValue().stopped.load(ordering: .relaxed) },
                        user: user)
                    return samples.withUnsafeBufferPointer { buffer in
                        hearth_whisper_run(pointer.raw, buffer.baseAddress, Int32(buffer.count), &options)
                    }
                }
            }
        }
        run.model.withLock { $0 = nil }
        if run.stopped.load(ordering: .relaxed) { throw CancellationError() }
        guard status == 0 else {
            throw HearthError(.internalError, "the transcription failed", detail: "whisper_full returned \(status)")
        }
        let count = Int(hearth_whisper_segment_count(pointer.raw))
        let segments = (0..<count).map { Self.segment(pointer.raw, $0, words: o.words) }
        return Transcript(
            language: multilingual ? String(cString: hearth_whisper_language(pointer.raw)) : "en",
            duration: Double(samples.count) / Double(AudioDecoder.sampleRate), segments: segments)
    }

    private static func segment(_ model: OpaquePointer, _ index: Int, words: Bool) -> Transcript.Segment {
        let i = Int32(index)
        return Transcript.Segment(
            id: index, start: Double(hearth_whisper_segment_start(model, i)) / 100, end: Double(hearth_whisper_segment_end(model, i)) / 100,
            text: String(cString: hearth_whisper_segment_text(model, i)),
            averageLogProbability: Double(hearth_whisper_segment_logprob(model, i)),
            noSpeechProbability: Double(hearth_whisper_segment_no_speech(model, i)),
            words: words ? Self.words(model, i) : [])
    }

    /// Tokens joined into words: a token starting with a space starts a word.
    private static func words(_ model: OpaquePointer, _ segment: Int32) -> [Transcript.Word] {
        var words: [Transcript.Word] = []
        var bytes: [UInt8] = []
        var start = 0.0
        var end = 0.0
        func close() {
            let word = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if !word.isEmpty { words.append(Transcript.Word(word: word, start: start, end: end)) }
            bytes = []
        }
        for token in 0..<hearth_whisper_token_count(model, segment) where !hearth_whisper_token_special(model, segment, token) {
            // Bytes, not a String: a token may hold part of a character.
            let raw = hearth_whisper_token_text(model, segment, token)!
            let text = Array(UnsafeRawBufferPointer(start: raw, count: strlen(raw)))
            if text.first == UInt8(ascii: " ") || bytes.isEmpty {
                close()
                start = Double(hearth_whisper_token_start(model, segment, token)) / 100
            }
            bytes += text
            end = Double(hearth_whisper_token_end(model, segment, token)) / 100
        }
        close()
        return words
    }
}

extension Optional where Wrapped == String {
    fileprivate func withOptionalCString<T>(_ body: (UnsafePointer<CChar>?) -> T) -> T {
        switch self {
        case .some(let text): text.withCString { body($0) }
        case .none: body(nil)
        }
    }
}
