import Foundation
import HearthCore

/// A Piper voice as the store keeps it: its ONNX model with the facts sherpa-onnx needs
/// appended as ONNX metadata (`sample_rate`, `voice`, `comment: piper`, …) and the phoneme
/// table as `hearth_tokens`, so that one file is the whole voice.
///
/// An ONNX file is a protobuf `ModelProto`; `metadata_props` (field 14) is a repeated
/// key/value message, and protobuf lets a field follow the others: appending entries to the
/// file adds metadata without rewriting the graph.
public struct PiperVoiceFile: Sendable, Equatable {
    /// The metadata entries, in file order (a later key wins).
    public var metadata: [String: String]

    public var sampleRate: Int? { metadata["sample_rate"].flatMap { Int($0) } }
    /// espeak-ng's voice for the phonemes (`en-us`).
    public var espeakVoice: String? { metadata["voice"] }
    /// sherpa-onnx's tokens file: a phoneme and its id per line.
    public var tokens: String? { metadata["hearth_tokens"] }

    /// Reads the metadata of an ONNX file, skipping the graph without reading it.
    /// - Throws: `HearthError.modelLoadFailed` when the file is not an ONNX model.
    public static func read(_ url: URL) throws -> PiperVoiceFile {
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw HearthError(.modelLoadFailed, "the voice file cannot be read", detail: url.path)
        }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: 0)
        var metadata: [String: String] = [:]
        var reader = FieldReader(handle: handle, size: size)
        while let (field, wire) = try reader.key() {
            switch wire {
            case 0: _ = try reader.varint()
            case 1: try reader.skip(8)
            case 5: try reader.skip(4)
            case 2:
                let length = try reader.varint()
                if field == 14 {
                    let (key, value) = try Self.entry(try reader.bytes(length))
                    metadata[key] = value
                } else {
                    try reader.skip(length)
                }
            default: throw HearthError(.modelLoadFailed, "the voice file is not an ONNX model", detail: url.path)
            }
        }
        return PiperVoiceFile(metadata: metadata)
    }

    /// Whether `url` is an ONNX model carrying a Piper voice's metadata.
    public static func recognises(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        let first = try? handle.read(upToCount: 1)
        try? handle.close()
        // ModelProto starts with ir_version (field 1, a varint): 0x08.
        guard first == Data([0x08]) else { return false }
        return (try? read(url))?.metadata["comment"]?.contains("piper") == true
    }

    /// `metadata_props` entries to append to an ONNX file.
    static func encode(_ metadata: [(String, String)]) -> Data {
        var out = Data()
        for (key, value) in metadata {
            var entry = Data([0x0A])
            entry.append(varint(key.utf8.count))
            entry.append(Data(key.utf8))
            entry.append(0x12)
            entry.append(varint(value.utf8.count))
            entry.append(Data(value.utf8))
            out.append(0x72)  // field 14, length-delimited
            out.append(varint(entry.count))
            out.append(entry)
        }
        return out
    }

    private static func varint(_ value: Int) -> Data {
        var value = UInt64(value)
        var out = Data()
        repeat {
            let byte = UInt8(value & 0x7F)
            value >>= 7
            out.append(value == 0 ? byte : byte | 0x80)
        } while value != 0
        return out
    }

    /// A `StringStringEntryProto`: key (1) and value (2).
    private static func entry(_ data: Data) throws -> (String, String) {
        var key = ""
        var value = ""
        var index = data.startIndex
        func varint() throws -> Int {
            var result = 0
            var shift = 0
            while index < data.endIndex {
                let byte = data[index]
                index += 1
                result |= Int(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
                if shift > 56 { break }
            }
            throw HearthError(.modelLoadFailed, "the voice file has a malformed metadata entry")
        }
        while index < data.endIndex {
            let key_ = try varint()
            guard key_ & 7 == 2 else { throw HearthError(.modelLoadFailed, "the voice file has a malformed metadata entry") }
            let length = try varint()
            guard length <= data.endIndex - index else {
                throw HearthError(.modelLoadFailed, "the voice file has a malformed metadata entry")
            }
            let text = String(decoding: data[index..<index + length], as: UTF8.self)
            index += length
            if key_ >> 3 == 1 { key = text } else if key_ >> 3 == 2 { value = text }
        }
        return (key, value)
    }

    /// Top-level protobuf fields, read through a file handle.
    private struct FieldReader {
        let handle: FileHandle
        let size: UInt64
        var offset: UInt64 = 0

        mutating func key() throws -> (Int, Int)? {
            guard offset < size else { return nil }
            let key = try varint()
            return (key >> 3, key & 7)
        }

        mutating func varint() throws -> Int {
            var result = 0
            var shift = 0
            while shift <= 63 {
                let byte = try bytes(1)[0]
                result |= Int(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
            throw HearthError(.modelLoadFailed, "the voice file is not an ONNX model")
        }

        mutating func skip(_ count: Int) throws {
            guard count >= 0, offset + UInt64(count) <= size else { throw HearthError(.modelLoadFailed, "the voice file is truncated") }
            offset += UInt64(count)
            try handle.seek(toOffset: offset)
        }

        mutating func bytes(_ count: Int) throws -> Data {
            guard count >= 0, count <= 16 << 20, offset + UInt64(count) <= size,
                let data = try handle.read(upToCount: count), data.count == count
            else { throw HearthError(.modelLoadFailed, "the voice file is truncated") }
            offset += UInt64(count)
            return data
        }
    }
}
