import Foundation
import HearthCore

/// One tensor of a GGUF file: its name, shape (ggml order: the first dimension varies
/// fastest), element type and where its bytes lie.
public struct GGUFTensorInfo: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var type: GGMLType
    /// Offset from the start of the data section.
    public var offset: Int

    /// Number of elements.
    public var elements: Int { shape.reduce(1, *) }
    /// Bytes of data.
    public var byteCount: Int { type.byteCount(elements: elements) }
}

/// The header of a GGUF file — metadata and tensor table — read without touching the
/// weights, and checked: a truncated or corrupt file is an error naming what is wrong.
public struct GGUFFile: Sendable {
    public static let magic: UInt32 = 0x4655_4747  // "GGUF", little-endian
    public static let defaultAlignment = 32

    public var version: UInt32
    public var metadata: [String: GGUFValue]
    public var tensors: [GGUFTensorInfo]
    /// Where the tensor data starts, in bytes from the start of the file.
    public var dataOffset: Int
    public var fileSize: Int

    /// Reads and checks the header of `url`.
    ///
    /// Arrays longer than `arrayLimit` (a vocabulary has ~10⁵ entries) are skipped: their
    /// type and count are kept, their values are not. The tensor table is checked against
    /// the file size, so a truncated download is caught here rather than at load time.
    /// - Throws: `HearthError.modelLoadFailed` naming the file and what is wrong with it.
    public static func read(_ url: URL, arrayLimit: Int = 64) throws -> GGUFFile {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw HearthError(.modelLoadFailed, "cannot read the model file", detail: "\(url.path): \(error.localizedDescription)")
        }
        do {
            return try data.withUnsafeBytes { try parse($0, arrayLimit: arrayLimit) }
        } catch let problem as Problem {
            throw HearthError(.modelLoadFailed, "the model file is not a usable GGUF file: \(problem.message)", detail: url.path)
        }
    }

    /// A string value of the metadata.
    public func string(_ key: String) -> String? { metadata[key]?.string }
    /// An integer value of the metadata.
    public func int(_ key: String) -> Int? { metadata[key]?.int }

    struct Problem: Error {
        var message: String
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, arrayLimit: Int) throws -> GGUFFile {
        var reader = ByteReader(bytes: bytes)
        guard bytes.count >= 4, try reader.integer(UInt32.self, "the magic number") == magic else {
            throw Problem(message: "it does not start with the GGUF magic number")
        }
        let version = try reader.integer(UInt32.self, "the version")
        guard version == 2 || version == 3 else {
            throw Problem(message: "GGUF version \(version) is not supported (2 and 3 are)")
        }
        let tensorCount = try reader.count("the tensor count", limit: 1 << 20)
        let keyCount = try reader.count("the metadata count", limit: 1 << 20)
        var metadata: [String: GGUFValue] = [:]
        for _ in 0..<keyCount {
            let key = try reader.string("a metadata key")
            reader.context = "the metadata value \(key)"
            metadata[key] = try reader.value(arrayLimit: arrayLimit)
        }
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(tensorCount)
        for _ in 0..<tensorCount {
            let name = try reader.string("a tensor name")
            reader.context = "the tensor info of \(name)"
            let dimensions = Int(try reader.integer(UInt32.self, "the dimension count"))
            guard dimensions <= 4 else { throw Problem(message: "tensor \(name) has \(dimensions) dimensions (corrupt file)") }
            var shape: [Int] = []
            for _ in 0..<dimensions { shape.append(try reader.count("a dimension", limit: 1 << 40)) }
            let typeID = try reader.integer(UInt32.self, "a tensor type")
            guard let type = GGMLType.all[typeID] else {
                throw Problem(message: "tensor \(name) has unknown type \(typeID)")
            }
            let offset = try reader.count("a tensor offset", limit: Int.max)
            let info = GGUFTensorInfo(name: name, shape: shape, type: type, offset: offset)
            guard (shape.first ?? 0) % type.blockSize == 0 else {
                throw Problem(
                    message: "tensor \(name) has \(shape[0]) columns, not a multiple of \(type.name)'s block of \(type.blockSize)")
            }
            tensors.append(info)
        }
        let alignment = metadata["general.alignment"]?.int ?? defaultAlignment
        guard alignment > 0, alignment & (alignment - 1) == 0 else {
            throw Problem(message: "general.alignment \(alignment) is not a power of two")
        }
        let dataOffset = (reader.offset + alignment - 1) / alignment * alignment
        for tensor in tensors {
            guard tensor.offset % alignment == 0 else {
                throw Problem(message: "tensor \(tensor.name) is not aligned to \(alignment) bytes")
            }
            let end = dataOffset + tensor.offset + tensor.byteCount
            guard end <= bytes.count else {
                throw Problem(
                    message:
                        "it is truncated: tensor \(tensor.name) ends at byte \(end) but the file has only \(bytes.count) bytes (an interrupted download or copy?)"
                )
            }
        }
        return GGUFFile(version: version, metadata: metadata, tensors: tensors, dataOffset: dataOffset, fileSize: bytes.count)
    }
}

/// Little-endian reads over the mapped file, each naming what it reads when it runs past the end.
private struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0
    var context = "the header"

    // `what` is only built when something is wrong: a vocabulary has ~10⁵ strings to skip.
    mutating func integer<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= bytes.count else { throw truncated(what()) }
        defer { offset += size }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// A u64 count or size, bounded so that a corrupt value cannot make the reader allocate wildly.
    mutating func count(_ what: @autoclosure () -> String, limit: Int) throws -> Int {
        let value = try integer(UInt64.self, what())
        guard value <= UInt64(limit) else {
            throw GGUFFile.Problem(message: "\(what()) in \(context) is \(value), which is impossible (corrupt file)")
        }
        return Int(value)
    }

    mutating func string(_ what: String) throws -> String {
        let length = try count("the length of \(what)", limit: bytes.count)
        guard offset + length <= bytes.count else { throw truncated(what) }
        defer { offset += length }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length]), as: UTF8.self)
    }

    mutating func skipString(_ what: @autoclosure () -> String) throws {
        let length = try count("the length of \(what())", limit: bytes.count)
        guard offset + length <= bytes.count else { throw truncated(what()) }
        offset += length
    }

    mutating func value(arrayLimit: Int) throws -> GGUFValue {
        let raw = try integer(UInt32.self, "a value type")
        guard let type = GGUFValueType(rawValue: raw) else {
            throw GGUFFile.Problem(message: "\(context) has unknown type \(raw) (corrupt file)")
        }
        return try value(of: type, arrayLimit: arrayLimit)
    }

    mutating func value(of type: GGUFValueType, arrayLimit: Int) throws -> GGUFValue {
        let context = context
        switch type {
        case .uint8: return .uint8(try integer(UInt8.self, context))
        case .int8: return .int8(try integer(Int8.self, context))
        case .uint16: return .uint16(try integer(UInt16.self, context))
        case .int16: return .int16(try integer(Int16.self, context))
        case .uint32: return .uint32(try integer(UInt32.self, context))
        case .int32: return .int32(try integer(Int32.self, context))
        case .uint64: return .uint64(try integer(UInt64.self, context))
        case .int64: return .int64(try integer(Int64.self, context))
        case .float32: return .float32(Float(bitPattern: try integer(UInt32.self, context)))
        case .float64: return .float64(Double(bitPattern: try integer(UInt64.self, context)))
        case .bool: return .bool(try integer(UInt8.self, context) != 0)
        case .string: return .string(try string(context))
        case .array:
            let raw = try integer(UInt32.self, "an array type")
            guard let element = GGUFValueType(rawValue: raw), element != .array else {
                throw GGUFFile.Problem(message: "\(context) is an array of unknown type \(raw) (corrupt file)")
            }
            let count = try self.count("an array length", limit: bytes.count)
            guard count <= arrayLimit else {
                try skip(count, of: element)
                return .array(element, count: count, values: [])
            }
            var values: [GGUFValue] = []
            values.reserveCapacity(count)
            for _ in 0..<count { values.append(try value(of: element, arrayLimit: arrayLimit)) }
            return .array(element, count: count, values: values)
        }
    }

    private mutating func skip(_ count: Int, of element: GGUFValueType) throws {
        let width: Int
        switch element {
        case .string:
            let context = context
            for _ in 0..<count { try skipString(context) }
            return
        case .uint8, .int8, .bool: width = 1
        case .uint16, .int16: width = 2
        case .uint32, .int32, .float32: width = 4
        case .uint64, .int64, .float64: width = 8
        case .array: throw GGUFFile.Problem(message: "\(context) nests arrays (corrupt file)")
        }
        guard offset + count * width <= bytes.count else { throw truncated(context) }
        offset += count * width
    }

    private func truncated(_ what: String) -> GGUFFile.Problem {
        GGUFFile.Problem(message: "it is truncated: the file ends (at byte \(bytes.count)) while reading \(what) in \(context)")
    }
}
