/// The value types of GGUF metadata (`enum gguf_type`).
public enum GGUFValueType: UInt32, Sendable {
    case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64
}

/// One metadata value of a GGUF file.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    /// An array; `values` is empty when the reader skipped a long array (see `GGUFFile.read`).
    case array(GGUFValueType, count: Int, values: [GGUFValue])

    /// The value as an integer, when it is one.
    public var int: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(v)
        default: nil
        }
    }

    /// The string, when the value is one.
    public var string: String? {
        if case .string(let s) = self { s } else { nil }
    }

    /// The value as a boolean, when it is one.
    public var bool: Bool? {
        if case .bool(let b) = self { b } else { nil }
    }

    /// The element count, when the value is an array.
    public var arrayCount: Int? {
        if case .array(_, let count, _) = self { count } else { nil }
    }

    var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }
}
