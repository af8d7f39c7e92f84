internal import CAudio
import Foundation
import HearthCore

/// The audio formats speech is sent in (OpenAI's `response_format` of `/v1/audio/speech`).
public enum SpeechFormat: String, Sendable, CaseIterable {
    case mp3, opus, flac, wav, pcm

    public var contentType: String {
        switch self {
        case .mp3: "audio/mpeg"
        case .opus: "audio/ogg"
        case .flac: "audio/flac"
        case .wav: "audio/wav"
        case .pcm: "audio/pcm"
        }
    }
}

/// Encodes speech as it is made: each call gives the bytes ready to send, so a response
/// streams. WAV carries "unknown length" in its header (as OpenAI's streamed WAV does), PCM
/// is OpenAI's raw 24 kHz 16-bit little-endian; FLAC, MP3 and Opus (in Ogg, at 24 kHz) come
/// from libsndfile writing into memory, whose late header updates (lengths, checksums) are
/// left out: the bytes before them are already sent.
public final class AudioEncoder {
    public let format: SpeechFormat
    /// The rate of the samples given.
    public let sourceRate: Int
    private var headerSent = false
    private var resampler: Resampler?
    private var sink: Sink?
    private var handle: OpaquePointer?

    public init(format: SpeechFormat, sourceRate: Int) throws {
        self.format = format
        self.sourceRate = sourceRate
        let rate: Int
        switch format {
        case .pcm, .opus: rate = 24_000
        case .wav, .flac, .mp3: rate = sourceRate
        }
        if rate != sourceRate { resampler = try Resampler(ratio: Double(rate) / Double(sourceRate)) }
        guard [.flac, .mp3, .opus].contains(format) else { return }
        let sink = Sink()
        self.sink = sink
        var info = SF_INFO()
        info.samplerate = Int32(rate)
        info.channels = 1
        info.format =
            switch format {
            case .flac: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
            case .mp3: Int32(SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III)
            default: Int32(SF_FORMAT_OGG | SF_FORMAT_OPUS)
            }
        var io = SF_VIRTUAL_IO(
            get_filelen: { Sink.from($0).length },
            seek: { offset, whence, user in Sink.from(user).seek(offset, whence) },
            read: { _, _, _ in 0 },
            write: { pointer, count, user in Sink.from(user).write(pointer, count) },
            tell: { Sink.from($0).position })
        handle = sf_open_virtual(&io, Int32(SFM_WRITE), &info, Unmanaged.passUnretained(sink).toOpaque())
        guard let handle else {
            throw HearthError(.internalError, "cannot encode \(format.rawValue)", detail: String(cString: sf_strerror(nil)))
        }
        if format == .mp3 {
            // Constant bit rate: a streamed MP3 has no Xing header (it would come last), and
            // without one a variable rate makes readers misjudge its length.
            var mode = Int32(SF_BITRATE_MODE_CONSTANT)
            sf_command(handle, Int32(SFC_SET_BITRATE_MODE), &mode, Int32(MemoryLayout<Int32>.size))
        }
    }

    deinit { if let handle { sf_close(handle) } }

    /// The bytes of `samples` (mono, in [-1, 1]) ready to send; may be empty while an encoder fills a frame.
    public func encode(_ samples: [Float]) throws -> Data {
        var samples = samples
        if let resampler {
            var out: [Float] = []
            try resampler.process(samples[...], end: false, into: &out)
            samples = out
        }
        return try write(samples)
    }

    /// The last bytes: what the resampler and the encoder still hold.
    public func finish() throws -> Data {
        var rest: [Float] = []
        try resampler?.process([], end: true, into: &rest)
        var out = try write(rest)
        if let handle {
            sf_close(handle)
            self.handle = nil
            out += sink?.drain() ?? Data()
        }
        return out
    }

    private func write(_ samples: [Float]) throws -> Data {
        switch format {
        case .wav, .pcm:
            var out = Data()
            if format == .wav, !headerSent { out += Self.wavHeader(rate: sourceRate) }
            headerSent = true
            return out + Self.pcm16(samples[...])
        case .flac, .mp3, .opus:
            guard let handle, !samples.isEmpty else { return Data() }
            let written = samples.withUnsafeBufferPointer { sf_writef_float(handle, $0.baseAddress, sf_count_t($0.count)) }
            guard written == samples.count else {
                throw HearthError(.internalError, "encoding \(format.rawValue) failed", detail: String(cString: sf_strerror(handle)))
            }
            return sink?.drain() ?? Data()
        }
    }

    /// Samples in [-1, 1] as 16-bit little-endian integers (clipped), as WAV, PCM and
    /// `/hearth/listen` carry them.
    public static func pcm16(_ samples: ArraySlice<Float>) -> Data {
        var out = Data(capacity: samples.count * 2)
        for sample in samples {
            withUnsafeBytes(of: Int16(max(-1, min(1, sample)) * 32767).littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }

    /// A 16-bit mono WAV header whose lengths say "until the stream ends".
    static func wavHeader(rate: Int) -> Data {
        var header = Data()
        func text(_ s: String) { header += Data(s.utf8) }
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { header.append(contentsOf: $0) } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { header.append(contentsOf: $0) } }
        text("RIFF")
        u32(0xFFFF_FFFF)
        text("WAVEfmt ")
        u32(16)
        u16(1)
        u16(1)
        u32(UInt32(rate))
        u32(UInt32(rate * 2))
        u16(2)
        u16(16)
        text("data")
        u32(0xFFFF_FFFF)
        return header
    }

    /// libsndfile's output: bytes not yet handed out can still change; those handed out cannot.
    private final class Sink {
        var sent = 0
        var pending: [UInt8] = []
        var position: sf_count_t = 0

        static func from(_ user: UnsafeMutableRawPointer?) -> Sink { Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue() }

        var length: sf_count_t { sf_count_t(sent + pending.count) }

        func seek(_ offset: sf_count_t, _ whence: Int32) -> sf_count_t {
            let base: sf_count_t =
                switch whence {
                case SEEK_CUR: position
                case SEEK_END: length
                default: 0
                }
            position = max(0, base + offset)
            return position
        }

        func write(_ pointer: UnsafeRawPointer?, _ count: sf_count_t) -> sf_count_t {
            guard let pointer, count > 0 else { return 0 }
            let bytes = UnsafeRawBufferPointer(start: pointer, count: Int(count))
            for (index, byte) in bytes.enumerated() {
                let at = Int(position) + index - sent
                guard at >= 0 else { continue }  // already sent: left as it was
                if at < pending.count {
                    pending[at] = byte
                } else {
                    if at > pending.count { pending += [UInt8](repeating: 0, count: at - pending.count) }
                    pending.append(byte)
                }
            }
            position += count
            return count
        }

        func drain() -> Data {
            defer {
                sent += pending.count
                pending.removeAll(keepingCapacity: true)
            }
            return Data(pending)
        }
    }
}
