import Foundation
import HearthCore
import Testing

@testable import HearthModels

/// The Whisper converter (CTranslate2 → whisper.cpp), checked against whisper.cpp's own
/// reference: the `for-tests-ggml-tiny.en.bin` of its source holds the header OpenAI's
/// converter wrote for tiny.en (hyper-parameters, mel filters, vocabulary) without weights.
@Suite struct WhisperConversionTests {
    /// whisper.cpp's source tree, unpacked by the set-up (scripts/setup-whisper.sh).
    static func whisperSource() throws -> URL {
        let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = Process()
        script.executableURL = root.appending(path: "scripts/setup-whisper.sh")
        script.arguments = ["--source"]
        let pipe = Pipe()
        script.standardOutput = pipe
        try script.run()
        script.waitUntilExit()
        let path = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .newlines)
        guard FileManager.default.fileExists(atPath: path + "/models/for-tests-ggml-tiny.en.bin") else {
            throw HearthError(.notFound, "whisper.cpp's source is not at \(path): run `make test` (scripts/setup-whisper.sh) first")
        }
        return URL(filePath: path)
    }

    /// The header of a whisper.cpp file: eleven hyper-parameters, filters, tokens.
    static func header(_ url: URL) throws -> (values: [Int32], filters: [Float], tokens: [[UInt8]]) {
        let data = try Data(contentsOf: url)
        var offset = 0
        func int() -> Int32 {
            defer { offset += 4 }
            return data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Int32.self) }
        }
        let values = (0..<12).map { _ in int() }
        let count = Int(int()) * Int(int())
        let filters = (0..<count).map { _ in Float(bitPattern: UInt32(bitPattern: int())) }
        let tokens = (0..<Int(int())).map { _ -> [UInt8] in
            let length = Int(int())
            defer { offset += length }
            return Array(data[offset..<offset + length])
        }
        return (values, filters, tokens)
    }

    @Test func theMelFiltersAreOpenAIs() throws {
        let reference = try Self.header(try Self.whisperSource().appending(path: "models/for-tests-ggml-tiny.en.bin"))
        let filters = WhisperConversion.melFilters(mels: 80)
        #expect(filters.count == reference.filters.count)
        let worst = zip(filters, reference.filters).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-7, "largest difference \(worst)")
    }

    @Test func theVocabularyIsGPT2sBytes() throws {
        let reference = try Self.header(try Self.whisperSource().appending(path: "models/for-tests-ggml-tiny.en.bin"))
        let folder = FileManager.default.temporaryDirectory.appending(path: "hearth-vocabulary-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // The reference's tokens written back in the byte-level alphabet, then read again.
        let encode = Dictionary(uniqueKeysWithValues: ByteLevel.decoder.map { ($1, $0) })
        let lines = reference.tokens.map { token in
            token == Array("<|endoftext|>".utf8) ? "<|endoftext|>" : String(String.UnicodeScalarView(token.map { encode[$0]! }))
        }
        try (lines + ["<|startoftranscript|>", "<|en|>"]).joined(separator: "\n").write(
            to: folder.appending(path: "vocabulary.txt"), atomically: true, encoding: .utf8)
        let tokens = try WhisperConversion.vocabulary(folder.appending(path: "vocabulary.txt"))
        #expect(tokens.count == 50_257)
        #expect(tokens[220] == [32] && tokens[50_256] == Array("<|endoftext|>".utf8))
        // The reference wrote U+FFFD for lone bytes that are not UTF-8; the converter keeps the byte.
        let replaced = Array("\u{FFFD}".utf8)
        for (ours, theirs) in zip(tokens, reference.tokens) where theirs != replaced {
            #expect(ours == theirs)
        }
    }

    @Test func aFolderThatIsNotWhisperOrIsBrokenSaysWhy() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "hearth-ct2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appending(path: "out.bin")
        // A CTranslate2 header of a Whisper spec that ends early.
        var truncated = Data([6, 0, 0, 0, 12, 0] + Array("WhisperSpec\0".utf8) + [3, 0, 0, 0, 9, 0, 0, 0])
        truncated.append(contentsOf: [5, 0] + Array("abcd\0".utf8))
        try truncated.write(to: folder.appending(path: "model.bin"))
        let early = #expect(throws: HearthError.self) { try ModelImporter.convert(folder, to: output, name: "w:1", precision: .f16) }
        #expect(early?.message.contains("not a valid CTranslate2 model: it ends early") == true)
        let q8 = #expect(throws: HearthError.self) { try ModelImporter.convert(folder, to: output, name: "w:1", precision: .q8_0) }
        #expect(q8?.message.contains("converted to f16 only") == true)
    }

    @Test func tinyEnConvertsToTheFileWhisperCppLoads() throws {
        // The model the set-up converted (scripts/setup-models.py → hearth models import).
        let store = ModelStore(root: Paths(environment: ProcessInfo.processInfo.environment.filter { $0.key != "HEARTH_HOME" }).models)
        guard let entry = try store.entry("whisper:tiny.en") else {
            throw HearthError(.modelNotFound, "whisper:tiny.en is not installed: run `make test` first")
        }
        let reference = try Self.header(try Self.whisperSource().appending(path: "models/for-tests-ggml-tiny.en.bin"))
        let converted = try Self.header(entry.blob)
        #expect(converted.values == reference.values)
        let metadata = try ModelMetadata.read(entry.blob)
        #expect(metadata.speechToText && metadata.quantization == "F16" && metadata.vocabularySize == 51_864)
        #expect((37_000_000...40_000_000).contains(metadata.parameters))
    }
}
