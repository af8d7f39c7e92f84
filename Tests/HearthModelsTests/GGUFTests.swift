import Foundation
import HearthCore
import HearthTesting
import Testing

@testable import HearthModels

/// A small valid GGUF: metadata plus one F32 tensor of `elements` values (and a Q8_0 one).
func tinyGGUF(elements: Int = 4096) throws -> URL {
    var writer = GGUFWriter()
    writer.set("general.architecture", .string("tiny"))
    writer.set("general.name", .string("Tiny"))
    writer.set("tiny.context_length", .uint32(128))
    writer.set("tiny.embedding_length", .uint32(64))
    writer.set("tiny.attention.causal", .bool(false))
    writer.set("tokenizer.ggml.tokens", .array(.string, count: 3, values: [.string("a"), .string("b"), .string("c")]))
    let values = (0..<elements).map { Float($0 % 97) / 10 }
    writer.tensors.append(.init(name: "weights", shape: [64, elements / 64], type: .f32) { TensorEncoding.encode(values, as: .f32) })
    writer.tensors.append(.init(name: "quantized", shape: [64, elements / 64], type: .q8_0) { TensorEncoding.encode(values, as: .q8_0) })
    let url = FileManager.default.temporaryDirectory.appending(path: "tiny-\(UUID().uuidString).gguf")
    try writer.write(to: url)
    return url
}

@Suite struct GGUFTests {
    @Test func whatTheWriterWritesTheReaderReads() throws {
        let url = try tinyGGUF()
        let file = try GGUFFile.read(url)
        #expect(file.string("general.architecture") == "tiny")
        #expect(file.metadata["tokenizer.ggml.tokens"] == .array(.string, count: 3, values: [.string("a"), .string("b"), .string("c")]))
        #expect(file.tensors.map(\.name) == ["weights", "quantized"])
        #expect(file.tensors[1].byteCount == 4096 / 32 * 34)
        let metadata = ModelMetadata(file)
        #expect(metadata.parameters == 8192)
        #expect(metadata.contextLength == 128)
        #expect(metadata.embeddingOnly)
    }

    /// Matrices only count (vectors are F32 in every model).
    @Test func quantizationComesFromTheFileTypeElseTheMostCommonWeightType() throws {
        func quantization(fileType: Int?, types: [GGMLType]) throws -> String {
            var writer = GGUFWriter()
            writer.set("general.architecture", .string("tiny"))
            if let fileType { writer.set("general.file_type", .uint32(UInt32(fileType))) }
            let values = [Float](repeating: 0.5, count: 64)
            for (i, type) in types.enumerated() {
                writer.tensors.append(.init(name: "t\(i)", shape: [32, 2], type: type) { TensorEncoding.encode(values, as: type) })
            }
            let url = FileManager.default.temporaryDirectory.appending(path: "q-\(UUID().uuidString).gguf")
            defer { try? FileManager.default.removeItem(at: url) }
            try writer.write(to: url)
            return try ModelMetadata.read(url).quantization
        }
        #expect(try quantization(fileType: nil, types: [.f32, .q8_0, .q8_0]) == "Q8_0")
        #expect(try quantization(fileType: nil, types: [.f32, .f32, .q8_0]) == "F32")
        #expect(try quantization(fileType: 1, types: [.f32, .q8_0, .q8_0]) == "F16")
    }

    @Test func aTruncatedFileIsRejectedNamingTheTensor() throws {
        let url = try tinyGGUF()
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - 100).write(to: url)
        let error = #expect(throws: HearthError.self) { try ModelMetadata.read(url) }
        #expect(error?.code == .modelLoadFailed)
        #expect(error?.message.contains("truncated: tensor quantized ends at byte") == true)
    }

    @Test func aFileCutInsideTheHeaderOrNotGGUFIsRejected() throws {
        let url = try tinyGGUF()
        let data = try Data(contentsOf: url)
        try data.prefix(60).write(to: url)
        let cut = #expect(throws: HearthError.self) { try GGUFFile.read(url) }
        #expect(cut?.message.contains("truncated") == true)
        try Data("PK\u{3}\u{4} definitely a zip".utf8).write(to: url)
        let other = #expect(throws: HearthError.self) { try GGUFFile.read(url) }
        #expect(other?.message.contains("does not start with the GGUF magic number") == true)
    }

    @Test func q8_0KeepsValuesWithinHalfAStep() {
        let values = (0..<64).map { Float(sin(Double($0))) * 3 }
        let data = TensorEncoding.q8_0(values)
        #expect(data.count == 68)
        data.withUnsafeBytes { raw in
            for block in 0..<2 {
                let scale = Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: block * 34, as: UInt16.self)))
                for i in 0..<32 {
                    let q = Float(raw.load(fromByteOffset: block * 34 + 2 + i, as: Int8.self))
                    #expect(abs(q * scale - values[block * 32 + i]) <= scale * 0.51)
                }
            }
        }
    }
}
