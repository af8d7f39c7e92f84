import Foundation
import HearthCore

/// The model file whisper.cpp loads (its legacy `ggml` format, not GGUF): magic, eleven
/// 32-bit hyper-parameters, the mel filter bank, the vocabulary as raw bytes, then tensors,
/// each a header (dims, name length, type, dims innermost first, name) and its data.
public struct WhisperFile: Sendable, Equatable {
    /// `ggml` in ASCII, read as a little-endian u32.
    public static let magic: UInt32 = 0x6767_6d6c

    public struct HyperParameters: Sendable, Equatable {
        public var vocabulary: Int
        public var audioContext: Int
        public var audioState: Int
        public var audioHeads: Int
        public var audioLayers: Int
        public var textContext: Int
        public var textState: Int
        public var textHeads: Int
        public var textLayers: Int
        public var mels: Int
        /// 0 = F32, 1 = F16 (ggml's file types).
        public var fileType: Int

        var values: [Int] {
            [vocabulary, audioContext, audioState, audioHeads, audioLayers, textContext, textState, textHeads, textLayers, mels, fileType]
        }

        /// Weights: embeddings, convolutions, both stacks of attention and MLP blocks.
        public var parameters: Int {
            let audio =
                audioContext * audioState + 3 * mels * audioState + 3 * audioState * audioState + 2 * audioState
                + audioLayers * (12 * audioState * audioState + 12 * audioState) + 2 * audioState
            let text =
                textContext * textState + vocabulary * textState
                + textLayers * (16 * textState * textState + 17 * textState) + 2 * textState
            return audio + text
        }

        /// Whether the model transcribes English only (`tiny.en`, …): multilingual models have 51,865 or more tokens.
        public var englishOnly: Bool { vocabulary < 51_865 }
    }

    public var hyperParameters: HyperParameters

    /// Reads the hyper-parameters of a whisper.cpp model file.
    /// - Throws: `HearthError.modelLoadFailed` when the file is not one.
    public static func read(_ url: URL) throws -> WhisperFile {
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw HearthError(.modelLoadFailed, "the model file cannot be read", detail: url.path)
        }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 48)) ?? Data()
        guard header.count == 48 else { throw HearthError(.modelLoadFailed, "the model file is truncated", detail: url.path) }
        let words = header.withUnsafeBytes { buffer in
            (0..<12).map { Int(Int32(littleEndian: buffer.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) }
        }
        guard UInt32(truncatingIfNeeded: words[0]) == magic else {
            throw HearthError(.modelLoadFailed, "the model file is not a whisper.cpp model", detail: url.path)
        }
        let h = HyperParameters(
            vocabulary: words[1], audioContext: words[2], audioState: words[3], audioHeads: words[4], audioLayers: words[5],
            textContext: words[6], textState: words[7], textHeads: words[8], textLayers: words[9], mels: words[10], fileType: words[11])
        guard h.values.allSatisfy({ $0 >= 0 }), h.vocabulary > 0, h.audioState > 0, h.mels > 0 else {
            throw HearthError(.modelLoadFailed, "the model file has invalid hyper-parameters", detail: url.path)
        }
        return WhisperFile(hyperParameters: h)
    }

    /// Whether `url` starts with whisper.cpp's magic.
    public static func recognises(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 4), head.count == 4 else { return false }
        return head.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) } == magic
    }
}

/// Writes a whisper.cpp model file, buffered.
struct WhisperFileWriter {
    private let handle: FileHandle
    private var buffer = Data()

    init(url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil), let handle = try? FileHandle(forWritingTo: url) else {
            throw HearthError(.internalError, "cannot write the converted model", detail: url.path)
        }
        self.handle = handle
    }

    mutating func header(_ h: WhisperFile.HyperParameters, filters: [Float], fftBins: Int, tokens: [[UInt8]]) throws {
        int(Int(Int32(bitPattern: WhisperFile.magic)))
        for value in h.values { int(value) }
        int(h.mels)
        int(fftBins)
        for value in filters { append(value.bitPattern) }
        int(tokens.count)
        for token in tokens {
            int(token.count)
            buffer.append(contentsOf: token)
        }
        try flush()
    }

    /// One tensor; `shape` in row-major order (outermost first), `bytes` its data in that order.
    mutating func tensor(_ name: String, shape: [Int], f16: Bool, bytes: Data) throws {
        let utf8 = Array(name.utf8)
        int(shape.count)
        int(utf8.count)
        int(f16 ? 1 : 0)
        for dimension in shape.reversed() { int(dimension) }
        buffer.append(contentsOf: utf8)
        buffer.append(bytes)
        try flush()
    }

    func close() throws { try handle.close() }

    private mutating func int(_ value: Int) { append(UInt32(bitPattern: Int32(value))) }

    private mutating func append(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }

    private mutating func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
