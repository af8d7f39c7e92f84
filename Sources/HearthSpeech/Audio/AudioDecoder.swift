internal import CAudio
import Foundation
import HearthCore

/// Audio files in memory (WAV, FLAC, OGG Vorbis or Opus, MP3, AIFF, … whatever libsndfile
/// reads) turned into the 16 kHz mono samples Whisper listens to: channels averaged, then
/// resampled (libsamplerate's sinc converter) a block at a time, so a long file at 48 kHz
/// never sits in memory at its own rate.
public enum AudioDecoder {
    /// Whisper's sample rate.
    public static let sampleRate = 16_000

    /// The decoded audio.
    public struct Audio: Sendable {
        /// Mono samples at 16 kHz, in [-1, 1].
        public var samples: [Float]
        /// The file's own sample rate and channel count.
        public var sourceRate: Int
        public var channels: Int

        public var seconds: Double { Double(samples.count) / Double(AudioDecoder.sampleRate) }
    }

    /// Decodes `data`, stopping with an error past `maxSeconds` of audio (a small compressed
    /// file can expand to hours).
    /// - Throws: `HearthError.invalidRequest` for data that is not audio libsndfile reads, or too long.
    public static func decode(_ data: Data, maxSeconds: Double = 4 * 3600) throws -> Audio {
        guard !data.isEmpty else { throw HearthError.invalidRequest("the audio file is empty", field: "file") }
        let source = MemoryFile(data: data)
        var info = SF_INFO()
        var io = SF_VIRTUAL_IO(
            get_filelen: { user in MemoryFile.from(user).length },
            seek: { offset, whence, user in MemoryFile.from(user).seek(offset, whence) },
            read: { pointer, count, user in MemoryFile.from(user).read(pointer, count) },
            write: { _, _, _ in 0 },
            tell: { user in MemoryFile.from(user).position })
        let handle = withExtendedLifetime(source) {
            sf_open_virtual(&io, Int32(SFM_READ), &info, Unmanaged.passUnretained(source).toOpaque())
        }
        guard let handle else {
            let reason = String(cString: sf_strerror(nil))
            throw HearthError.invalidRequest(
                "the file is not audio Hearth can read (WAV, FLAC, OGG, MP3 and others libsndfile reads): \(reason)", field: "file")
        }
        defer { sf_close(handle) }
        let channels = Int(info.channels)
        let rate = Int(info.samplerate)
        guard channels > 0, channels <= 64, rate >= 1000, rate <= 768_000 else {
            throw HearthError.invalidRequest("the audio file declares \(channels) channels at \(rate) Hz", field: "file")
        }
        let limit = Int(maxSeconds * Double(sampleRate))
        if info.frames > 0, Double(info.frames) / Double(rate) > maxSeconds, info.frames != Int64.max {
            throw tooLong(maxSeconds)
        }
        // Scale floats from integer formats to [-1, 1] (libsndfile's default already), and
        // clip the rare float file that goes past it.
        sf_command(handle, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        let resampler = try Resampler(ratio: Double(sampleRate) / Double(rate))
        var output: [Float] = []
        output.reserveCapacity(info.frames > 0 ? min(limit, Int(Double(info.frames) * resampler.ratio) + 1024) : 1 << 20)
        let block = 16_384
        var interleaved = [Float](repeating: 0, count: block * channels)
        var mono = [Float](repeating: 0, count: block)
        while true {
            let frames = Int(interleaved.withUnsafeMutableBufferPointer { sf_readf_float(handle, $0.baseAddress, sf_count_t(block)) })
            if frames <= 0 { break }
            for frame in 0..<frames {
                var sum: Float = 0
                for channel in 0..<channels { sum += interleaved[frame * channels + channel] }
                mono[frame] = sum / Float(channels)
            }
            try resampler.process(mono[0..<frames], end: false, into: &output)
            if output.count > limit { throw tooLong(maxSeconds) }
        }
        try resampler.process([], end: true, into: &output)
        if output.count > limit { throw tooLong(maxSeconds) }
        guard !output.isEmpty else { throw HearthError.invalidRequest("the audio file holds no sound", field: "file") }
        return Audio(samples: output, sourceRate: rate, channels: channels)
    }

    private static func tooLong(_ seconds: Double) -> HearthError {
        HearthError.invalidRequest(
            "the audio is longer than \(Int(seconds / 60)) minutes, the most Hearth transcribes at once", field: "file")
    }

    /// Bytes read through libsndfile's virtual I/O.
    private final class MemoryFile {
        let data: Data
        var position: sf_count_t = 0

        init(data: Data) { self.data = data }

        static func from(_ user: UnsafeMutableRawPointer?) -> MemoryFile {
            Unmanaged<MemoryFile>.fromOpaque(user!).takeUnretainedValue()
        }

        var length: sf_count_t { sf_count_t(data.count) }

        func seek(_ offset: sf_count_t, _ whence: Int32) -> sf_count_t {
            let base: sf_count_t =
                switch whence {
                case SEEK_CUR: position
                case SEEK_END: length
                default: 0
                }
            position = min(max(0, base + offset), length)
            return position
        }

        func read(_ pointer: UnsafeMutableRawPointer?, _ count: sf_count_t) -> sf_count_t {
            guard let pointer, count > 0, position < length else { return 0 }
            let n = Int(min(count, length - position))
            let start = data.startIndex + Int(position)
            data.copyBytes(to: pointer.assumingMemoryBound(to: UInt8.self), from: start..<start + n)
            position += sf_count_t(n)
            return sf_count_t(n)
        }
    }
}

/// libsamplerate's converter, fed block by block.
final class Resampler {
    let ratio: Double
    /// Nil when the rate is already right.
    private let state: OpaquePointer?

    init(ratio: Double) throws {
        self.ratio = ratio
        guard ratio != 1 else {
            state = nil
            return
        }
        var error: Int32 = 0
        state = src_new(Int32(SRC_SINC_FASTEST), 1, &error)
        guard state != nil else {
            throw HearthError(.internalError, "cannot start resampling audio", detail: String(cString: src_strerror(error)))
        }
    }

    deinit { if let state { src_delete(state) } }

    /// Appends the resampled `input` to `output`; `end` flushes what the filter holds.
    func process(_ input: ArraySlice<Float>, end: Bool, into output: inout [Float]) throws {
        guard let state else {
            output.append(contentsOf: input)
            return
        }
        let input = Array(input)
        var consumed = 0
        var scratch = [Float](repeating: 0, count: Int(Double(max(input.count, 256)) * ratio) + 256)
        while true {
            var data = SRC_DATA()
            let generated: Int = try input.withUnsafeBufferPointer { inBuffer in
                try scratch.withUnsafeMutableBufferPointer { outBuffer in
                    data.data_in = inBuffer.baseAddress.map { $0 + consumed }
                    data.input_frames = input.count - consumed
                    data.data_out = outBuffer.baseAddress
                    data.output_frames = outBuffer.count
                    data.src_ratio = ratio
                    data.end_of_input = end ? 1 : 0
                    let error = src_process(state, &data)
                    guard error == 0 else {
                        throw HearthError(.internalError, "resampling audio failed", detail: String(cString: src_strerror(error)))
                    }
                    consumed += data.input_frames_used
                    return data.output_frames_gen
                }
            }
            output.append(contentsOf: scratch[0..<generated])
            // Done when the input is used up and, at the end, the filter has nothing left.
            if consumed >= input.count && (!end || generated == 0) { break }
        }
    }
}
