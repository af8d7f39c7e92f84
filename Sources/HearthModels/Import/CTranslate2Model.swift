import Foundation
import HearthCore

/// A CTranslate2 model file (`model.bin`, binary version 5 or 6), memory-mapped: the spec's
/// name (`WhisperSpec`, …), its variables by name and the aliases between them.
///
/// Layout (little-endian): u32 version, string spec, u32 revision, u32 count, then per
/// variable: string name, u8 rank, u32 dims[rank], u8 dtype, u32 byte count, bytes; then u32
/// count and (alias, variable) string pairs. A string is u16 length (with the NUL) + bytes.
struct CTranslate2Model {
    enum DataType: UInt8 {
        case float32 = 0, int8, int16, int32, float16, bfloat16
    }

    struct Variable {
        var shape: [Int]
        var type: DataType
        var range: Range<Int>
    }

    let spec: String
    let variables: [String: Variable]
    private let data: Data
    private let path: String

    /// - Throws: `HearthError.invalidRequest` when the file is missing, truncated or not CTranslate2's.
    init(file: URL) throws {
        guard let data = try? Data(contentsOf: file, options: .alwaysMapped) else {
            throw HearthError(.invalidRequest, "\(file.path) cannot be read")
        }
        self.data = data
        path = file.path
        var reader = Reader(data: data)
        func corrupt(_ why: String) -> HearthError {
            HearthError(.invalidRequest, "\(file.path) is not a valid CTranslate2 model: \(why)")
        }
        do {
            let version = try reader.u32()
            guard version == 5 || version == 6 else { throw corrupt("binary version \(version) (5 and 6 are read)") }
            spec = try reader.string()
            _ = try reader.u32()
            var variables: [String: Variable] = [:]
            for _ in 0..<(try reader.u32()) {
                let name = try reader.string()
                let rank = Int(try reader.u8())
                var shape: [Int] = []
                for _ in 0..<rank { shape.append(Int(try reader.u32())) }
                let code = try reader.u8()
                guard let type = DataType(rawValue: code) else { throw corrupt("\(name) has unknown data type \(code)") }
                let count = Int(try reader.u32())
                let range = try reader.skip(count)
                variables[name] = Variable(shape: shape, type: type, range: range)
            }
            if reader.remaining >= 4 {
                for _ in 0..<(try reader.u32()) {
                    let alias = try reader.string()
                    let target = try reader.string()
                    if let variable = variables[target] { variables[alias] = variable }
                }
            }
            self.variables = variables
        } catch is Reader.Truncated {
            throw corrupt("it ends early")
        }
    }

    /// The variable `name`.
    /// - Throws: `HearthError.invalidRequest` naming it when it is missing.
    func variable(_ name: String) throws -> Variable {
        guard let variable = variables[name] else { throw HearthError(.invalidRequest, "\(path) has no variable \(name)") }
        return variable
    }

    /// The variable's bytes as stored.
    func bytes(_ variable: Variable) -> Data { data[variable.range] }

    /// A scalar integer variable (`encoder/num_heads`, …).
    func integer(_ name: String) throws -> Int {
        let variable = try variable(name)
        let raw = bytes(variable)
        return raw.withUnsafeBytes { buffer -> Int in
            switch variable.type {
            case .int8: Int(buffer.loadUnaligned(as: Int8.self))
            case .int16: Int(Int16(littleEndian: buffer.loadUnaligned(as: Int16.self)))
            case .int32: Int(Int32(littleEndian: buffer.loadUnaligned(as: Int32.self)))
            default: 0
            }
        }
    }

    /// The variable's values as floats (from float32 or float16 storage).
    /// - Throws: `HearthError.invalidRequest` for other types (int8 quantised models).
    func floats(_ name: String) throws -> [Float] {
        let variable = try variable(name)
        let raw = bytes(variable)
        switch variable.type {
        case .float32:
            return raw.withUnsafeBytes { buffer in
                (0..<raw.count / 4).map {
                    Float(bitPattern: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
                }
            }
        case .float16:
            return raw.withUnsafeBytes { buffer in
                (0..<raw.count / 2).map {
                    Float(Float16(bitPattern: UInt16(littleEndian: buffer.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))))
                }
            }
        default:
            throw HearthError(
                .invalidRequest,
                "\(name) in \(path) is \(variable.type); only float32 and float16 models can be imported (not int8 quantised ones)")
        }
    }

    private struct Reader {
        struct Truncated: Error {}
        let data: Data
        var offset: Int

        init(data: Data) {
            self.data = data
            offset = data.startIndex
        }

        var remaining: Int { data.endIndex - offset }

        mutating func skip(_ count: Int) throws -> Range<Int> {
            guard count >= 0, count <= remaining else { throw Truncated() }
            defer { offset += count }
            return offset..<offset + count
        }

        mutating func u8() throws -> UInt8 { data[try skip(1).lowerBound] }

        mutating func u16() throws -> UInt16 {
            let range = try skip(2)
            return UInt16(data[range.lowerBound]) | UInt16(data[range.lowerBound + 1]) << 8
        }

        mutating func u32() throws -> UInt32 {
            let range = try skip(4)
            return data[range].withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        }

        mutating func string() throws -> String {
            let range = try skip(Int(try u16()))
            return String(decoding: data[range].prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
