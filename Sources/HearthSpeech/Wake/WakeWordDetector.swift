internal import CTensorFlowLite
import Foundation
import HearthCore

/// openWakeWord on TensorFlow Lite: 16 kHz audio in, how sure it is that the wake word was
/// just said out, every 80 ms. Three models in a row, as openWakeWord runs them: audio to
/// mel frames (1,760 samples a window, 1,280 apart), mel frames to a speech embedding (76
/// frames a window, 8 apart), the last 16 embeddings to the wake word's score. The stream
/// starts as if 8 seconds of silence came first (the models' history, as openWakeWord's own
/// code fills it). One detector follows one stream, fed by one caller at a time (its owner,
/// the `Listener`, sees to that).
public final class WakeWordDetector: @unchecked Sendable {
    /// The three model files.
    public struct Models: Sendable {
        public var melspectrogram: URL
        public var embedding: URL
        public var word: URL

        public init(melspectrogram: URL, embedding: URL, word: URL) {
            self.melspectrogram = melspectrogram
            self.embedding = embedding
            self.word = word
        }
    }

    /// A score of the wake word, at `time` seconds into the stream (the end of what it heard).
    public struct Score: Sendable, Equatable {
        public var time: Double
        public var score: Float
    }

    static let sampleRate = 16_000
    static let melWindow = 1760
    static let melHop = 1280
    static let mels = 32
    static let embeddingWindow = 76
    static let embeddingHop = 8
    static let features = 96
    static let silenceFirst = 8 * sampleRate

    private let melModel: Interpreter
    private let embeddingModel: Interpreter
    private let wordModel: Interpreter
    private let wordWindow: Int

    /// Samples not yet under a mel window; `consumed` counts those dropped before them.
    private var audio = [Float](repeating: 0, count: silenceFirst)
    private var consumed = 0
    /// Mel frames not yet under an embedding window, with the stream position each ends at.
    private var melFrames: [[Float]] = []
    private var melEnds: [Int] = []
    private var embeddings: [[Float]] = []
    private var embeddingEnds: [Int] = []

    /// - Throws: `HearthError.modelLoadFailed` when a model cannot be loaded.
    public init(models: Models) throws {
        melModel = try Interpreter(models.melspectrogram, input: [1, Self.melWindow])
        embeddingModel = try Interpreter(models.embedding, input: [1, Self.embeddingWindow, Self.mels, 1])
        wordModel = try Interpreter(models.word, input: nil)
        wordWindow = wordModel.inputShape.count > 1 ? wordModel.inputShape[1] : 16
    }

    /// Loads the three models off Swift's task threads.
    public static func load(models: Models) async throws -> WakeWordDetector {
        try await Blocking.run { try WakeWordDetector(models: models) }
    }

    /// Feeds 16 kHz mono samples in [-1, 1]; returns the scores of the windows they complete.
    public func feed(_ samples: [Float]) throws -> [Score] {
        // openWakeWord's models take 16-bit sample values as floats.
        audio += samples.map { max(-1, min(1, $0)) * 32767 }
        var scores: [Score] = []
        while audio.count >= Self.melWindow {
            let frames = try melModel.run(Array(audio[0..<Self.melWindow]))
            let end = consumed + Self.melWindow
            audio.removeFirst(Self.melHop)
            consumed += Self.melHop
            for frame in 0..<frames.count / Self.mels {
                melFrames.append(frames[frame * Self.mels..<(frame + 1) * Self.mels].map { $0 / 10 + 2 })
                melEnds.append(end)
            }
            while melFrames.count >= Self.embeddingWindow {
                embeddings.append(try embeddingModel.run(melFrames[0..<Self.embeddingWindow].flatMap { $0 }))
                embeddingEnds.append(melEnds[Self.embeddingWindow - 1])
                melFrames.removeFirst(Self.embeddingHop)
                melEnds.removeFirst(Self.embeddingHop)
            }
            while embeddings.count >= wordWindow {
                let score = try wordModel.run(embeddings[0..<wordWindow].flatMap { $0 }).first ?? 0
                let heard = embeddingEnds[wordWindow - 1] - Self.silenceFirst
                if heard > 0 { scores.append(Score(time: Double(heard) / Double(Self.sampleRate), score: score)) }
                embeddings.removeFirst()
                embeddingEnds.removeFirst()
            }
        }
        return scores
    }

    /// One TensorFlow Lite model with its interpreter (one thread: the models are small).
    final class Interpreter {
        private let model: OpaquePointer
        private let interpreter: OpaquePointer
        let inputShape: [Int]

        init(_ file: URL, input shape: [Int]?) throws {
            guard let model = TfLiteModelCreateFromFile(file.path) else {
                throw HearthError(.modelLoadFailed, "the wake-word model \(file.lastPathComponent) cannot be loaded", detail: file.path)
            }
            let options = TfLiteInterpreterOptionsCreate()
            TfLiteInterpreterOptionsSetNumThreads(options, 1)
            defer { TfLiteInterpreterOptionsDelete(options) }
            guard let interpreter = TfLiteInterpreterCreate(model, options) else {
                TfLiteModelDelete(model)
                throw HearthError(.modelLoadFailed, "the wake-word model \(file.lastPathComponent) cannot be run", detail: file.path)
            }
            self.model = model
            self.interpreter = interpreter
            if let shape {
                _ = shape.map { Int32($0) }.withUnsafeBufferPointer {
                    TfLiteInterpreterResizeInputTensor(interpreter, 0, $0.baseAddress, Int32(shape.count))
                }
            }
            guard TfLiteInterpreterAllocateTensors(interpreter) == 0, let tensor = TfLiteInterpreterGetInputTensor(interpreter, 0) else {
                throw HearthError(.modelLoadFailed, "the wake-word model \(file.lastPathComponent) cannot be run", detail: file.path)
            }
            inputShape = (0..<TfLiteTensorNumDims(tensor)).map { Int(TfLiteTensorDim(tensor, $0)) }
        }

        deinit {
            TfLiteInterpreterDelete(interpreter)
            TfLiteModelDelete(model)
        }

        func run(_ input: [Float]) throws -> [Float] {
            guard let tensor = TfLiteInterpreterGetInputTensor(interpreter, 0), TfLiteTensorByteSize(tensor) == input.count * 4 else {
                throw HearthError(.internalError, "a wake-word model was given input of the wrong size")
            }
            _ = input.withUnsafeBytes { TfLiteTensorCopyFromBuffer(tensor, $0.baseAddress, $0.count) }
            guard TfLiteInterpreterInvoke(interpreter) == 0, let output = TfLiteInterpreterGetOutputTensor(interpreter, 0) else {
                throw HearthError(.internalError, "a wake-word model failed")
            }
            var result = [Float](repeating: 0, count: TfLiteTensorByteSize(output) / 4)
            _ = result.withUnsafeMutableBytes { TfLiteTensorCopyToBuffer(output, $0.baseAddress, $0.count) }
            return result
        }
    }
}
