import Foundation
import HearthCore
import Testing

@testable import HearthModels

@Suite struct ImporterTests {
    @Test func queryAndKeyRowsInterleaveTheirRoPEHalvesPerHead() {
        // Two heads of four rows, one column: row r holds r.
        let rows = (0..<8).map(Float.init)
        #expect(LlamaConversion.permute(rows, rows: 8, columns: 1, heads: 2) == [0, 2, 1, 3, 4, 6, 5, 7])
        let wide = (0..<4).flatMap { [Float($0), Float($0) + 0.5] }
        #expect(LlamaConversion.permute(wide, rows: 4, columns: 2, heads: 1) == [0, 0.5, 2, 2.5, 1, 1.5, 3, 3.5])
    }

    @Test func foldersThatCannotBeConvertedSayWhy() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "hearth-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let output = folder.appending(path: "out.gguf")
        let empty = #expect(throws: HearthError.self) { try ModelImporter.convert(folder, to: output, name: "x:1", precision: .f16) }
        #expect(empty?.message.contains("has no config.json") == true)

        try Data(#"{"architectures":["MistralForCausalLM"]}"#.utf8).write(to: folder.appending(path: "config.json"))
        try Data([8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8)).write(to: folder.appending(path: "model.safetensors"))
        try Data(#"{"model":{"type":"BPE","vocab":{"a":0},"merges":[]}}"#.utf8).write(to: folder.appending(path: "tokenizer.json"))
        let other = #expect(throws: HearthError.self) { try ModelImporter.convert(folder, to: output, name: "x:1", precision: .f16) }
        #expect(other?.message.contains("converts BertModel and LlamaForCausalLM") == true)

        try Data([200, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8)).write(to: folder.appending(path: "model.safetensors"))
        let corrupt = #expect(throws: HearthError.self) { try ModelImporter.convert(folder, to: output, name: "x:1", precision: .f16) }
        #expect(corrupt?.message.contains("is not a valid safetensors file") == true)
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }
}
