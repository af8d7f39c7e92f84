internal import CSherpa
import Foundation
import HearthCore
import HearthModels
import Synchronization

/// A Piper voice loaded in-process through sherpa-onnx. Speech is made a piece at a time
/// (`SpeechText.pieces`) on a thread of the voice's own, one request at a time, each piece
/// handed over as soon as it exists.
public final class PiperVoice: Sendable {
    public let name: String
    /// Samples per second of what it says (22,050 for most Piper voices).
    public let sampleRate: Int
    private let espeakVoice: String
    private let pointer: Pointer
    private let queue: DispatchQueue
    private let tokensFile: URL

    private struct Pointer: @unchecked Sendable { let raw: OpaquePointer }

    /// Loads the voice file (`PiperVoiceFile`) computing on `threads` threads.
    /// - Throws: `HearthError.modelLoadFailed` when it is not a Piper voice or sherpa-onnx refuses it.
    public init(name: String, file: URL, threads: Int) throws {
        let voice = try PiperVoiceFile.read(file)
        // sherpa-onnx ends the process when a required key is missing: check them first.
        guard let rate = voice.sampleRate, let espeak = voice.espeakVoice, let tokens = voice.tokens,
            voice.metadata["comment"]?.contains("piper") == true, voice.metadata["n_speakers"] != nil,
            voice.metadata["language"] != nil
        else { throw HearthError(.modelLoadFailed, "\(name) is not a Piper voice converted by Hearth", detail: file.path) }
        let tokensFile = FileManager.default.temporaryDirectory.appending(path: "hearth-voice-\(UUID().uuidString).tokens")
        try Data((tokens + "\n").utf8).write(to: tokensFile)
        self.tokensFile = tokensFile
        func number(_ key: String, _ fallback: Float) -> Float { voice.metadata[key].flatMap { Float($0) } ?? fallback }
        let created: OpaquePointer? = file.path.withCString { model in
            tokensFile.path.withCString { tokens in
                "cpu".withCString { provider in
                    var config = SherpaOnnxOfflineTtsConfig()
                    config.model.vits.model = model
                    config.model.vits.tokens = tokens
                    config.model.vits.noise_scale = number("hearth_noise_scale", 0.667)
                    config.model.vits.noise_scale_w = number("hearth_noise_w", 0.8)
                    config.model.vits.length_scale = number("hearth_length_scale", 1)
                    config.model.num_threads = Int32(max(1, threads))
                    config.model.provider = provider
                    config.max_num_sentences = 1
                    return SherpaOnnxCreateOfflineTts(&config)
                }
            }
        }
        guard let created else {
            try? FileManager.default.removeItem(at: tokensFile)
            throw HearthError(.modelLoadFailed, "\(name) cannot be loaded as a voice", detail: file.path)
        }
        self.name = name
        sampleRate = rate
        espeakVoice = espeak
        pointer = Pointer(raw: created)
        queue = DispatchQueue(label: "hearth.voice.\(name)")
    }

    /// Loads the voice off Swift's task threads (onnxruntime prepares its graph for seconds).
    public static func load(name: String, file: URL, threads: Int) async throws -> PiperVoice {
        try await Blocking.run { try PiperVoice(name: name, file: file, threads: threads) }
    }

    deinit {
        SherpaOnnxDestroyOfflineTts(pointer.raw)
        try? FileManager.default.removeItem(at: tokensFile)
    }

    /// Says `text` at `speed` (1 = the voice's own pace), calling `piece` with the samples
    /// of each piece in order (in [-1, 1], at `sampleRate`), a short pause between sentences.
    /// Cancelling the task stops after the piece being made.
    /// - Throws: `CancellationError`; `HearthError` when espeak-ng is missing or synthesis fails.
    public func speak(_ text: String, speed: Double = 1, piece: @escaping @Sendable ([Float]) -> Void) async throws {
        let stopped = Atomic<Bool>(false)
        let pieces = SpeechText.pieces(text)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                queue.async { [self] in
                    continuation.resume(
                        with: Result {
                            for (index, text) in pieces.enumerated() {
                                if stopped.load(ordering: .relaxed) { throw CancellationError() }
                                var samples = try synthesize(text, speed: speed)
                                if index + 1 < pieces.count, ".!?".contains(text.last ?? " ") {
                                    samples += [Float](repeating: 0, count: sampleRate / 5)
                                }
                                piece(samples)
                            }
                        })
                }
            }
        } onCancel: {
            stopped.store(true, ordering: .relaxed)
        }
    }

    private func synthesize(_ text: String, speed: Double) throws -> [Float] {
        let codepoints = try Phonemizer.phonemes(text, voice: espeakVoice).unicodeScalars.map { Int32($0.value) }
        guard !codepoints.isEmpty else { return [] }
        var lengths = [Int32(codepoints.count)]
        let audio = codepoints.withUnsafeBufferPointer { phonemes in
            lengths.withUnsafeMutableBufferPointer { lengths in
                var config = SherpaOnnxGenerationConfig()
                config.speed = Float(speed)
                config.silence_scale = 0.2
                config.phoneme_codepoints = phonemes.baseAddress
                config.phoneme_codepoints_lens = UnsafePointer(lengths.baseAddress)
                config.phoneme_codepoints_num_sentences = 1
                return SherpaOnnxOfflineTtsGenerateWithConfig(pointer.raw, "", &config, nil, nil)
            }
        }
        guard let audio else { throw HearthError(.internalError, "the voice \(name) could not say a piece of the text") }
        defer { SherpaOnnxDestroyOfflineTtsGeneratedAudio(audio) }
        return Array(UnsafeBufferPointer(start: audio.pointee.samples, count: Int(audio.pointee.n)))
    }
}
