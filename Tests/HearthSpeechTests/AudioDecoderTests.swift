import CAudio
import Foundation
import HearthCore
import Testing

@testable import HearthSpeech

/// Audio files read into 16 kHz mono: the formats libsndfile writes here, made from one tone.
@Suite struct AudioDecoderTests {
    /// A 440 Hz tone, `seconds` long, in `channels` channels at `rate`, written by libsndfile as `format`.
    static func tone(format: Int32, rate: Int, channels: Int, seconds: Double = 1.5) throws -> Data {
        let file = FileManager.default.temporaryDirectory.appending(path: "hearth-tone-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        var info = SF_INFO()
        info.samplerate = Int32(rate)
        info.channels = Int32(channels)
        info.format = format
        guard let handle = sf_open(file.path, Int32(SFM_WRITE), &info) else {
            throw HearthError(.internalError, "libsndfile cannot write format \(format): \(String(cString: sf_strerror(nil)))")
        }
        let frames = Int(seconds * Double(rate))
        var samples = [Float](repeating: 0, count: frames * channels)
        for frame in 0..<frames {
            let value = 0.5 * Float(sin(2 * Double.pi * 440 * Double(frame) / Double(rate)))
            for channel in 0..<channels { samples[frame * channels + channel] = value }
        }
        _ = sf_writef_float(handle, samples, sf_count_t(frames))
        sf_close(handle)
        return try Data(contentsOf: file)
    }

    @Test(arguments: [
        ("wav 16 kHz mono", Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16), 16_000, 1),
        ("wav 44.1 kHz stereo", Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16), 44_100, 2),
        ("flac 48 kHz", Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16), 48_000, 1),
        ("ogg vorbis 22.05 kHz", Int32(SF_FORMAT_OGG | SF_FORMAT_VORBIS), 22_050, 2),
        ("ogg opus 48 kHz", Int32(SF_FORMAT_OGG | SF_FORMAT_OPUS), 48_000, 1),
        ("mp3 44.1 kHz", Int32(SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III), 44_100, 2),
    ])
    func formatsAreReadAt16kHzMono(_ name: String, _ format: Int32, _ rate: Int, _ channels: Int) throws {
        let audio = try AudioDecoder.decode(try Self.tone(format: format, rate: rate, channels: channels))
        #expect(audio.sourceRate == rate && audio.channels == channels, "\(name)")
        // 1.5 s, give or take the encoder's padding (MP3 and Opus add some).
        #expect(abs(audio.seconds - 1.5) < 0.1, "\(name): \(audio.seconds) s")
        // Still the tone: zero crossings of 440 Hz over the middle second.
        let middle = audio.samples[4000..<20000]
        let crossings = zip(middle, middle.dropFirst()).filter { ($0 < 0) != ($1 < 0) }.count
        #expect(abs(crossings - 880) < 20, "\(name): \(crossings) crossings")
        let peak = middle.map(abs).max() ?? 0
        #expect(peak > 0.4 && peak < 0.6, "\(name): peak \(peak)")
    }

    @Test func whatIsNotAudioIsAClearError() throws {
        let empty = #expect(throws: HearthError.self) { try AudioDecoder.decode(Data()) }
        #expect(empty?.code == .invalidRequest && empty?.message.contains("empty") == true)
        let text = #expect(throws: HearthError.self) { try AudioDecoder.decode(Data("just some words, not a sound".utf8)) }
        #expect(text?.code == .invalidRequest && text?.message.contains("not audio Hearth can read") == true)
        var wav = try Self.tone(format: Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16), rate: 16_000, channels: 1)
        wav.replaceSubrange(0..<4, with: Data("RIFX".utf8))
        let damaged = #expect(throws: HearthError.self) { try AudioDecoder.decode(wav) }
        #expect(damaged?.code == .invalidRequest)
    }

    @Test func audioLongerThanTheLimitIsRefused() throws {
        let wav = try Self.tone(format: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16), rate: 16_000, channels: 1, seconds: 3)
        let long = #expect(throws: HearthError.self) { try AudioDecoder.decode(wav, maxSeconds: 2) }
        #expect(long?.message.contains("longer than") == true)
        #expect(try AudioDecoder.decode(wav, maxSeconds: 4).seconds > 2.9)
    }
}
