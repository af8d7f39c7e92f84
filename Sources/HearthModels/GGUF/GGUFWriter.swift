import Foundation
import HearthCore

/// Writes a GGUF (version 3) file: metadata, tensor table, then each tensor's bytes, aligned.
/// Tensor data is produced one tensor at a time, so a model never needs to fit in memory twice.
public struct GGUFWriter {
    /// One tensor to write. `shape` is in ggml order (the first dimension varies fastest);
    /// `bytes` returns exactly `type.byteCount(elements:)` bytes.
    public struct Tensor {
        public var name: String
        public var shape: [Int]
        public var type: GGMLType
        public var bytes: () throws -> Data

        public init(name: String, shape: [Int], type: GGMLType, bytes: @escaping () throws -> Data) {
            self.name = name
            self.shape = shape
            self.type = type
            self.bytes = bytes
        }
    }

    public var metadata: [(key: String, value: GGUFValue)] = []
    public var tensors: [Tensor] = []
    public var alignment = GGUFFile.defaultAlignment

    public init() {}

    /// Adds a metadata entry (later entries with the same key replace earlier ones).
    public mutating func set(_ key: String, _ value: GGUFValue) {
        metadata.removeAll { $0.key == key }
        metadata.append((key, value))
    }

    /// Writes the file to `url`, calling `progress(done, total)` after each tensor.
    /// - Throws: `HearthError.internalError` when the file cannot be written, or what a tensor's producer throws.
    public func write(to url: URL, progress: (Int, Int) -> Void = { _, _ in }) throws {
        var header = Data()
        header.append(integer: GGUFFile.magic)
        header.append(integer: UInt32(3))
        header.append(integer: UInt64(tensors.count))
        header.append(integer: UInt64(metadata.count))
        for (key, value) in metadata {
            header.append(string: key)
            header.append(integer: value.type.rawValue)
            header.append(value: value)
        }
        var offset = 0
        var offsets: [Int] = []
        for tensor in tensors {
            offsets.append(offset)
            header.append(string: tensor.name)
            header.append(integer: UInt32(tensor.shape.count))
            for dimension in tensor.shape { header.append(integer: UInt64(dimension)) }
            header.append(integer: tensor.type.id)
            header.append(integer: UInt64(offset))
            offset = aligned(offset + tensor.type.byteCount(elements: tensor.shape.reduce(1, *)))
        }
        header.append(Data(count: aligned(header.count) - header.count))

        guard FileManager.default.createFile(atPath: url.path, contents: header) else {
            throw HearthError(.internalError, "cannot create \(url.path)")
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        for (index, tensor) in tensors.enumerated() {
            let bytes = try tensor.bytes()
            let expected = tensor.type.byteCount(elements: tensor.shape.reduce(1, *))
            guard bytes.count == expected else {
                throw HearthError(.internalError, "tensor \(tensor.name) produced \(bytes.count) bytes, expected \(expected)")
            }
            try handle.write(contentsOf: bytes)
            let end = index + 1 < tensors.count ? offsets[index + 1] : aligned(offsets[index] + expected)
            let padding = end - offsets[index] - expected
            if padding > 0 { try handle.write(contentsOf: Data(count: padding)) }
            progress(index + 1, tensors.count)
        }
        try handle.synchronize()
    }

    private func aligned(_ offset: Int) -> Int { (offset + alignment - 1) / alignment * alignment }
}

extension Data {
    mutating func append<T: FixedWidthInteger>(integer: T) {
        Swift.withUnsafeBytes(of: integer.littleEndian) { append(contentsOf: $0) }
    }

    mutating func append(string: String) {
        let utf8 = Array(string.utf8)
        append(integer: UInt64(utf8.count))
        append(contentsOf: utf8)
    }

    mutating func append(value: GGUFValue) {
        switch value {
        case .uint8(let v): append(integer: v)
        case .int8(let v): append(integer: v)
        case .uint16(let v): append(integer: v)
        case .int16(let v): append(integer: v)
        case .uint32(let v): append(integer: v)
        case .int32(let v): append(integer: v)
        case .uint64(let v): append(integer: v)
        case .int64(let v): append(integer: v)
        case .float32(let v): append(integer: v.bitPattern)
        case .float64(let v): append(integer: v.bitPattern)
        case .bool(let v): append(integer: UInt8(v ? 1 : 0))
        case .string(let v): append(string: v)
        case .array(let type, let count, let values):
            append(integer: type.rawValue)
            append(integer: UInt64(count))
            for element in values { append(value: element) }
        }
    }
}
