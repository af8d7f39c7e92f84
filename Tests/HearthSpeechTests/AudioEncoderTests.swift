import Foundation
import Testing

@testable import HearthSpeech

/// Speech encoded piece by piece reads back as the same sound in every format.
@Suite struct AudioEncoderTests {
    /// 1.5 s of a 440 Hz tone at 22,050 Hz, in three pieces.
    static let pieces: [[Float]] = (0..<3).map { piece in
        (0..<11_025).map { 0.5 * Float(sin(2 * Double.pi * 440 * Double(piece * 11_025 + $0) / 22_050)) }
    }

    @Test(arguments: SpeechFormat.allCases)
    func piecesEncodeToOneFileThatDecodes(_ format: SpeechFormat) throws {
        let encoder = try AudioEncoder(format: format, sourceRate: 22_050)
        var bytes = Data()
        var sentBeforeTheEnd = 0
        for piece in Self.pieces {
            bytes += try encoder.encode(piece)
            sentBeforeTheEnd = bytes.count
        }
        bytes += try encoder.finish()
        // Bytes flow before the end (a stream), except what an encoder holds for a frame.
        #expect(sentBeforeTheEnd > bytes.count / 3, "\(format): \(sentBeforeTheEnd) of \(bytes.count) bytes before the end")
        let audio: AudioDecoder.Audio
        if format == .pcm {
            #expect(bytes.count == 36_000 * 2)  // 1.5 s at 24 kHz, 16-bit
            return
        } else {
            audio = try AudioDecoder.decode(bytes)
        }
        #expect(abs(audio.seconds - 1.5) < 0.1, "\(format): \(audio.seconds) s")
        guard audio.samples.count > 20000 else { return }
        let middle = audio.samples[4000..<20000]
        let crossings = zip(middle, middle.dropFirst()).filter { ($0 < 0) != ($1 < 0) }.count
        #expect(abs(crossings - 880) < 20, "\(format): \(crossings) crossings")
    }

    @Test func aStreamedWAVSaysItsLengthIsUnknown() throws {
        let header = AudioEncoder.wavHeader(rate: 22_050)
        #expect(header.count == 44 && header.prefix(4) == Data("RIFF".utf8) && header[4..<8] == Data([0xFF, 0xFF, 0xFF, 0xFF]))
    }
}
