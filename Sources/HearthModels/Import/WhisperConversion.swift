import Foundation
import HearthCore

/// Converts a Whisper model in CTranslate2's format (a folder with `model.bin` and
/// `vocabulary.txt`, as faster-whisper uses) into the file whisper.cpp loads: the weights
/// renamed to OpenAI's names, fused projections split again, the mel filter bank computed
/// (librosa's Slaney filters, as OpenAI's `mel_filters.npz`) and the byte-level vocabulary
/// turned back into bytes.
struct WhisperConversion {
    let model: CTranslate2Model
    let tokens: [[UInt8]]
    let hyperParameters: WhisperFile.HyperParameters

    /// Whether `directory` holds a CTranslate2 Whisper model.
    static func recognises(_ directory: URL) -> Bool {
        let file = directory.appending(path: "model.bin")
        guard let handle = try? FileHandle(forReadingFrom: file) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 32)) ?? Data()
        return head.range(of: Data("WhisperSpec".utf8)) != nil
    }

    /// - Throws: `HearthError.invalidRequest` when the folder is incomplete or the model is not Whisper.
    init(directory: URL) throws {
        let model = try CTranslate2Model(file: directory.appending(path: "model.bin"))
        self.model = model
        guard model.spec == "WhisperSpec" else {
            throw HearthError(.invalidRequest, "\(directory.path)/model.bin holds a \(model.spec), not a Whisper model")
        }
        func layers(_ stack: String) -> Int {
            var count = 0
            while model.variables["\(stack)/layer_\(count)/ffn/linear_0/weight"] != nil { count += 1 }
            return count
        }
        let embeddings = try model.variable("decoder/embeddings/weight").shape
        let audioPositions = try model.variable("encoder/position_encodings/encodings").shape
        let textPositions = try model.variable("decoder/position_encodings/encodings").shape
        let conv1 = try model.variable("encoder/conv1/weight").shape
        guard embeddings.count == 2, audioPositions.count == 2, textPositions.count == 2, conv1.count == 3 else {
            throw HearthError(.invalidRequest, "\(directory.path)/model.bin has tensors of unexpected shapes")
        }
        hyperParameters = WhisperFile.HyperParameters(
            vocabulary: embeddings[0], audioContext: audioPositions[0], audioState: audioPositions[1],
            audioHeads: try model.integer("encoder/num_heads"), audioLayers: layers("encoder"),
            textContext: textPositions[0], textState: textPositions[1],
            textHeads: try model.integer("decoder/num_heads"), textLayers: layers("decoder"), mels: conv1[1], fileType: 1)
        tokens = try Self.vocabulary(directory.appending(path: "vocabulary.txt"))
    }

    /// The vocabulary up to and including `<|endoftext|>`, as bytes: whisper.cpp names the
    /// special tokens after it itself.
    static func vocabulary(_ file: URL) throws -> [[UInt8]] {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            throw HearthError(.invalidRequest, "\(file.deletingLastPathComponent().path) has no readable vocabulary.txt")
        }
        let decode = ByteLevel.decoder
        var tokens: [[UInt8]] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "<|endoftext|>" {
                tokens.append(Array(line.utf8))
                return tokens
            }
            var bytes: [UInt8] = []
            for scalar in line.unicodeScalars {
                guard let byte = decode[scalar] else {
                    throw HearthError(.invalidRequest, "\(file.path): \"\(line)\" is not a byte-level token")
                }
                bytes.append(byte)
            }
            tokens.append(bytes)
        }
        throw HearthError(.invalidRequest, "\(file.path) has no <|endoftext|> token")
    }

    /// Writes the whisper.cpp file, calling `progress(done, total)` per tensor.
    func write(to output: URL, progress: (Int, Int) -> Void) throws {
        let h = hyperParameters
        var writer = try WhisperFileWriter(url: output)
        defer { try? writer.close() }
        try writer.header(h, filters: Self.melFilters(mels: h.mels), fftBins: 201, tokens: tokens)
        let plan = tensors()
        for (index, tensor) in plan.enumerated() {
            try writer.tensor(tensor.name, shape: tensor.shape, f16: tensor.f16, bytes: try tensor.bytes())
            progress(index + 1, plan.count)
        }
    }

    /// One tensor of the output: its whisper.cpp name, row-major shape, type and bytes.
    struct Planned {
        var name: String
        var shape: [Int]
        var f16: Bool
        var bytes: () throws -> Data
    }

    /// Every tensor whisper.cpp expects. Matrices and convolutions are F16; vectors,
    /// positional embeddings and the convolutions' biases (as [n, 1]) F32, as it requires.
    func tensors() -> [Planned] {
        var plan: [Planned] = []
        func matrix(_ name: String, _ source: String, rows: Range<Int>? = nil) {
            // A missing variable fails when its bytes are asked for, naming it.
            let stored = model.variables[source]?.shape ?? [0]
            let columns = stored.dropFirst().reduce(1, *)
            let rows = rows ?? 0..<stored[0]
            plan.append(
                Planned(name: name, shape: [rows.count] + stored.dropFirst(), f16: true) {
                    try half(source, from: rows.lowerBound * columns, count: rows.count * columns)
                })
        }
        func vector(_ name: String, _ source: String, rows: Range<Int>? = nil, shape: [Int]? = nil) {
            let stored = model.variables[source]?.shape ?? [0]
            let rows = rows ?? 0..<stored.reduce(1, *)
            let shape = shape ?? (rows.count == stored.reduce(1, *) ? stored : [rows.count])
            plan.append(
                Planned(name: name, shape: shape, f16: false) {
                    let values = try model.floats(source)[rows]
                    return values.withUnsafeBufferPointer { Data(buffer: $0) }
                })
        }
        func norm(_ name: String, _ source: String) {
            vector("\(name).weight", "\(source)/gamma")
            vector("\(name).bias", "\(source)/beta")
        }
        func linear(_ name: String, _ source: String, rows: Range<Int>? = nil, bias: Bool = true) {
            matrix("\(name).weight", "\(source)/weight", rows: rows)
            if bias { vector("\(name).bias", "\(source)/bias", rows: rows) }
        }
        let h = hyperParameters
        let a = h.audioState
        let t = h.textState
        matrix("encoder.conv1.weight", "encoder/conv1/weight")
        vector("encoder.conv1.bias", "encoder/conv1/bias", shape: [a, 1])
        matrix("encoder.conv2.weight", "encoder/conv2/weight")
        vector("encoder.conv2.bias", "encoder/conv2/bias", shape: [a, 1])
        vector("encoder.positional_embedding", "encoder/position_encodings/encodings")
        for i in 0..<h.audioLayers {
            let block = "encoder.blocks.\(i)"
            let layer = "encoder/layer_\(i)"
            norm("\(block).attn_ln", "\(layer)/self_attention/layer_norm")
            // CTranslate2 fuses query, key and value into one projection; the key has no bias.
            linear("\(block).attn.query", "\(layer)/self_attention/linear_0", rows: 0..<a)
            linear("\(block).attn.key", "\(layer)/self_attention/linear_0", rows: a..<2 * a, bias: false)
            linear("\(block).attn.value", "\(layer)/self_attention/linear_0", rows: 2 * a..<3 * a)
            linear("\(block).attn.out", "\(layer)/self_attention/linear_1")
            norm("\(block).mlp_ln", "\(layer)/ffn/layer_norm")
            linear("\(block).mlp.0", "\(layer)/ffn/linear_0")
            linear("\(block).mlp.2", "\(layer)/ffn/linear_1")
        }
        norm("encoder.ln_post", "encoder/layer_norm")
        matrix("decoder.token_embedding.weight", "decoder/embeddings/weight")
        vector("decoder.positional_embedding", "decoder/position_encodings/encodings")
        for i in 0..<h.textLayers {
            let block = "decoder.blocks.\(i)"
            let layer = "decoder/layer_\(i)"
            norm("\(block).attn_ln", "\(layer)/self_attention/layer_norm")
            linear("\(block).attn.query", "\(layer)/self_attention/linear_0", rows: 0..<t)
            linear("\(block).attn.key", "\(layer)/self_attention/linear_0", rows: t..<2 * t, bias: false)
            linear("\(block).attn.value", "\(layer)/self_attention/linear_0", rows: 2 * t..<3 * t)
            linear("\(block).attn.out", "\(layer)/self_attention/linear_1")
            norm("\(block).cross_attn_ln", "\(layer)/attention/layer_norm")
            linear("\(block).cross_attn.query", "\(layer)/attention/linear_0")
            // Cross-attention fuses key and value.
            linear("\(block).cross_attn.key", "\(layer)/attention/linear_1", rows: 0..<t, bias: false)
            linear("\(block).cross_attn.value", "\(layer)/attention/linear_1", rows: t..<2 * t)
            linear("\(block).cross_attn.out", "\(layer)/attention/linear_2")
            norm("\(block).mlp_ln", "\(layer)/ffn/layer_norm")
            linear("\(block).mlp.0", "\(layer)/ffn/linear_0")
            linear("\(block).mlp.2", "\(layer)/ffn/linear_1")
        }
        norm("decoder.ln", "decoder/layer_norm")
        return plan
    }

    /// `count` values of `source` from `start`, as F16 bytes (copied when stored as F16).
    private func half(_ source: String, from start: Int, count: Int) throws -> Data {
        let variable = try model.variable(source)
        switch variable.type {
        case .float16:
            let from = variable.range.lowerBound + start * 2
            return model.bytes(variable).subdata(in: from..<from + count * 2)
        default:
            let values = try model.floats(source)[start..<start + count].map { Float16($0).bitPattern.littleEndian }
            return values.withUnsafeBufferPointer { Data(buffer: $0) }
        }
    }

    /// The mel filter bank OpenAI's Whisper uses (`librosa.filters.mel(sr=16000, n_fft=400,
    /// n_mels=…)`: Slaney's mel scale and area normalisation), row-major [mels][201].
    static func melFilters(mels: Int, sampleRate: Double = 16_000, fftSize: Int = 400) -> [Float] {
        let bins = fftSize / 2 + 1
        let logStep = log(6.4) / 27
        func mel(_ hz: Double) -> Double { hz < 1000 ? hz / (200.0 / 3) : 15 + log(hz / 1000) / logStep }
        func hertz(_ mel: Double) -> Double { mel < 15 ? mel * (200.0 / 3) : 1000 * exp(logStep * (mel - 15)) }
        let top = mel(sampleRate / 2)
        let edges = (0..<mels + 2).map { hertz(top * Double($0) / Double(mels + 1)) }
        let frequencies = (0..<bins).map { sampleRate / 2 * Double($0) / Double(bins - 1) }
        var filters = [Float](repeating: 0, count: mels * bins)
        for m in 0..<mels {
            let norm = 2 / (edges[m + 2] - edges[m])
            for (k, f) in frequencies.enumerated() {
                let lower = (f - edges[m]) / (edges[m + 1] - edges[m])
                let upper = (edges[m + 2] - f) / (edges[m + 2] - edges[m + 1])
                filters[m * bins + k] = Float(max(0, min(lower, upper)) * norm)
            }
        }
        return filters
    }
}

/// GPT-2's byte-level alphabet: each byte written as a printable character (`Ġ` for a space).
enum ByteLevel {
    static let decoder: [Unicode.Scalar: UInt8] = {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var map: [Unicode.Scalar: UInt8] = [:]
        for byte in printable { map[Unicode.Scalar(UInt32(byte))!] = UInt8(byte) }
        var next: UInt32 = 256
        for byte in 0...255 where !printable.contains(byte) {
            map[Unicode.Scalar(next)!] = UInt8(byte)
            printable.append(byte)
            next += 1
        }
        return map
    }()
}
