/// A tensor element type of ggml, as stored in GGUF tensor infos, with its block layout.
public struct GGMLType: Sendable, Hashable, CustomStringConvertible {
    /// The numeric id in the file (`enum ggml_type`).
    public let id: UInt32
    /// The name llama.cpp prints (`Q4_K`, `F16`, …).
    public let name: String
    /// Elements per block.
    public let blockSize: Int
    /// Bytes per block.
    public let bytesPerBlock: Int

    public static let f32 = GGMLType(id: 0, name: "F32", blockSize: 1, bytesPerBlock: 4)
    public static let f16 = GGMLType(id: 1, name: "F16", blockSize: 1, bytesPerBlock: 2)
    public static let q8_0 = GGMLType(id: 8, name: "Q8_0", blockSize: 32, bytesPerBlock: 34)

    /// Every type this version of ggml can store in a file.
    public static let all: [UInt32: GGMLType] = Dictionary(
        uniqueKeysWithValues: [
            f32, f16, .init(id: 2, name: "Q4_0", blockSize: 32, bytesPerBlock: 18),
            .init(id: 3, name: "Q4_1", blockSize: 32, bytesPerBlock: 20),
            .init(id: 6, name: "Q5_0", blockSize: 32, bytesPerBlock: 22),
            .init(id: 7, name: "Q5_1", blockSize: 32, bytesPerBlock: 24), q8_0,
            .init(id: 9, name: "Q8_1", blockSize: 32, bytesPerBlock: 36),
            .init(id: 10, name: "Q2_K", blockSize: 256, bytesPerBlock: 84),
            .init(id: 11, name: "Q3_K", blockSize: 256, bytesPerBlock: 110),
            .init(id: 12, name: "Q4_K", blockSize: 256, bytesPerBlock: 144),
            .init(id: 13, name: "Q5_K", blockSize: 256, bytesPerBlock: 176),
            .init(id: 14, name: "Q6_K", blockSize: 256, bytesPerBlock: 210),
            .init(id: 15, name: "Q8_K", blockSize: 256, bytesPerBlock: 292),
            .init(id: 16, name: "IQ2_XXS", blockSize: 256, bytesPerBlock: 66),
            .init(id: 17, name: "IQ2_XS", blockSize: 256, bytesPerBlock: 74),
            .init(id: 18, name: "IQ3_XXS", blockSize: 256, bytesPerBlock: 98),
            .init(id: 19, name: "IQ1_S", blockSize: 256, bytesPerBlock: 50),
            .init(id: 20, name: "IQ4_NL", blockSize: 32, bytesPerBlock: 18),
            .init(id: 21, name: "IQ3_S", blockSize: 256, bytesPerBlock: 110),
            .init(id: 22, name: "IQ2_S", blockSize: 256, bytesPerBlock: 82),
            .init(id: 23, name: "IQ4_XS", blockSize: 256, bytesPerBlock: 136),
            .init(id: 24, name: "I8", blockSize: 1, bytesPerBlock: 1),
            .init(id: 25, name: "I16", blockSize: 1, bytesPerBlock: 2),
            .init(id: 26, name: "I32", blockSize: 1, bytesPerBlock: 4),
            .init(id: 27, name: "I64", blockSize: 1, bytesPerBlock: 8),
            .init(id: 28, name: "F64", blockSize: 1, bytesPerBlock: 8),
            .init(id: 29, name: "IQ1_M", blockSize: 256, bytesPerBlock: 56),
            .init(id: 30, name: "BF16", blockSize: 1, bytesPerBlock: 2),
            .init(id: 34, name: "TQ1_0", blockSize: 256, bytesPerBlock: 54),
            .init(id: 35, name: "TQ2_0", blockSize: 256, bytesPerBlock: 66),
            .init(id: 39, name: "MXFP4", blockSize: 32, bytesPerBlock: 17),
            .init(id: 40, name: "NVFP4", blockSize: 64, bytesPerBlock: 36),
            .init(id: 41, name: "Q1_0", blockSize: 128, bytesPerBlock: 18),
            .init(id: 42, name: "Q2_0", blockSize: 64, bytesPerBlock: 18),
        ].map { ($0.id, $0) })

    /// Bytes taken by `elements` values (a multiple of `blockSize`).
    public func byteCount(elements: Int) -> Int { elements / blockSize * bytesPerBlock }

    public var description: String { name }
}

/// Names of `general.file_type` (`enum llama_ftype`): what users call a model's quantization.
enum LlamaFileType {
    static let names: [Int: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
        11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
        17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
        23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S", 29: "IQ2_M",
        30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE",
        39: "NVFP4", 40: "Q1_0", 41: "Q2_0",
    ]
}
