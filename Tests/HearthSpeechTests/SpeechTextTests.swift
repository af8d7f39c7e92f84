import Foundation
import HearthCore
import Testing

@testable import HearthModels
@testable import HearthSpeech

@Suite struct SpeechTextTests {
    @Test func textIsCutIntoSentencesAndLongSentencesAtCommas() {
        #expect(SpeechText.pieces("Hello there. How are you?\nFine!  ") == ["Hello there.", "How are you?", "Fine!"])
        // A point inside a number does not end a sentence; marks alone are not said.
        #expect(SpeechText.pieces("Pi is 3.14 or so. ... !") == ["Pi is 3.14 or so."])
        let long = (1...25).map { "word\($0)" }.joined(separator: " ") + ", " + (26...70).map { "word\($0)" }.joined(separator: " ") + "."
        let pieces = SpeechText.pieces(long)
        // The first piece is short (a client waits for it), the others end at the comma or at 30 words.
        #expect(pieces.count == 4 && pieces[0].split(separator: " ").count == 8 && pieces[1].hasSuffix("word25,"), "\(pieces)")
        #expect(pieces.allSatisfy { $0.split(separator: " ").count <= 30 })
        #expect(pieces.joined(separator: " ") == long)
        #expect(
            SpeechText.pieces("The library opens at nine in the morning and closes at six in the evening.")
                == ["The library opens at nine in the morning", "and closes at six in the evening."])
        #expect(
            SpeechText.pieces("Every single weekday morning, the library opens at nine and closes at six.")
                == ["Every single weekday morning,", "the library opens at nine and closes at six."])
        #expect(SpeechText.pieces("A short sentence of twelve words is said in just one piece.").count == 1)
    }

    @Test func clausesKeepTheirMarks() {
        let clauses = Phonemizer.clauses("Well, it costs 3.50 dollars; fine")
        #expect(clauses.map(\.0) == ["Well", " it costs 3.50 dollars", " fine"])
        #expect(clauses.map(\.1) == [",", ";", nil])
    }

    @Test func phonemesAreEspeaksIPA() throws {
        let phonemes = try Phonemizer.phonemes("Hello, world.", voice: "en-us")
        #expect(phonemes.contains("həlˈoʊ,") && phonemes.hasSuffix("."), "\(phonemes)")
    }

    @Test func metadataAppendedToAnONNXFileIsReadBack() throws {
        let file = FileManager.default.temporaryDirectory.appending(path: "hearth-onnx-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        // A small ModelProto: ir_version 8, producer "test", a 300-byte graph (field 7) to skip.
        var model = Data([0x08, 0x08, 0x12, 0x04]) + Data("test".utf8)
        model += Data([0x3A, 0xAC, 0x02]) + Data(repeating: 0x55, count: 300)
        model += PiperVoiceFile.encode([("comment", "piper"), ("sample_rate", "22050"), ("hearth_tokens", "_ 0\n^ 1\nə 59")])
        try model.write(to: file)
        let voice = try PiperVoiceFile.read(file)
        #expect(voice.sampleRate == 22050 && voice.tokens == "_ 0\n^ 1\nə 59")
        #expect(PiperVoiceFile.recognises(file) && ModelMetadata.textToSpeechOf(file))
        try Data([0x08, 0x08, 0x3A, 0xFF, 0x7F]).write(to: file)
        #expect(throws: HearthError.self) { try PiperVoiceFile.read(file) }
    }
}

extension ModelMetadata {
    static func textToSpeechOf(_ url: URL) -> Bool { (try? read(url))?.textToSpeech == true }
}
