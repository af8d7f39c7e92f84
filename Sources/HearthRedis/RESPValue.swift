import NIOCore

/// One value of the Redis protocol (RESP3, and the RESP2 forms a server may still send).
public enum RESPValue: Sendable, Equatable {
    /// A simple string (`+OK`), a big number or a verbatim string's text.
    case simple(String)
    /// An error reply (`-ERR …`, or a blob error).
    case error(String)
    case integer(Int)
    case double(Double)
    case boolean(Bool)
    /// A bulk string: bytes.
    case blob(ByteBuffer)
    case null
    /// An array or a set.
    case array([RESPValue])
    /// A map, as its keys and values in turn.
    case map([RESPValue])
    /// Out-of-band data (a published message, a subscription's confirmation).
    case push([RESPValue])

    /// The value as text: a simple or bulk string's, or an integer's or double's digits.
    public var string: String? {
        switch self {
        case .simple(let text): text
        case .blob(let bytes): String(buffer: bytes)
        case .integer(let value): String(value)
        case .double(let value): String(value)
        default: nil
        }
    }

    /// The value as an integer: an integer's, a whole double's, or a string's that holds one.
    public var int: Int? {
        switch self {
        case .integer(let value): return value
        case .double(let value): return value.rounded() == value && abs(value) < 9e18 ? Int(value) : nil
        default: return string.flatMap { Int($0) }
        }
    }

    /// The elements of an array, set, map or push; nil for any other value.
    public var elements: [RESPValue]? {
        switch self {
        case .array(let values), .map(let values), .push(let values): values
        default: nil
        }
    }
}

/// Reads and writes RESP.
enum RESP {
    /// The error a server sends that is not RESP.
    struct ProtocolError: Error, CustomStringConvertible {
        let description: String
    }

    /// A command as RESP: an array of bulk strings.
    static func write(_ arguments: [String], into buffer: inout ByteBuffer) {
        buffer.writeString("*\(arguments.count)\r\n")
        for argument in arguments {
            buffer.writeString("$\(argument.utf8.count)\r\n")
            buffer.writeString(argument)
            buffer.writeString("\r\n")
        }
    }

    /// The first whole value in `buffer`, read from it; nil (and `buffer` unread) when the
    /// value has not all arrived.
    /// - Throws: `ProtocolError` for bytes that are not RESP.
    static func read(from buffer: inout ByteBuffer) throws -> RESPValue? {
        var copy = buffer
        guard let value = try value(from: &copy) else { return nil }
        buffer = copy
        return value
    }

    /// Nesting deeper than this is not a reply Hearth asks for.
    private static let maxDepth = 32

    private static func value(from buffer: inout ByteBuffer, depth: Int = 0) throws -> RESPValue? {
        guard depth < maxDepth else { throw ProtocolError(description: "a reply nested more than \(maxDepth) deep") }
        guard let type = buffer.readInteger(as: UInt8.self), let line = self.line(from: &buffer) else { return nil }
        switch type {
        case UInt8(ascii: "+"), UInt8(ascii: "("): return .simple(line)
        case UInt8(ascii: "-"): return .error(line)
        case UInt8(ascii: ":"):
            guard let value = Int(line) else { throw ProtocolError(description: "an integer reply of '\(line.prefix(40))'") }
            return .integer(value)
        case UInt8(ascii: ","):
            switch line {
            case "inf": return .double(.infinity)
            case "-inf": return .double(-.infinity)
            default:
                guard let value = Double(line) else { throw ProtocolError(description: "a double reply of '\(line.prefix(40))'") }
                return .double(value)
            }
        case UInt8(ascii: "#"): return .boolean(line == "t")
        case UInt8(ascii: "_"): return .null
        case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
            let count = try length(line)
            guard count >= 0 else { return .null }
            guard buffer.readableBytes >= count + 2, var bytes = buffer.readSlice(length: count) else { return nil }
            buffer.moveReaderIndex(forwardBy: 2)
            if type == UInt8(ascii: "!") { return .error(String(buffer: bytes)) }
            // A verbatim string starts with its format: `txt:`.
            if type == UInt8(ascii: "=") { bytes.moveReaderIndex(forwardBy: min(4, bytes.readableBytes)) }
            return .blob(bytes)
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "|"):
            let count = try length(line)
            guard count >= 0 else { return .null }
            let elements = type == UInt8(ascii: "%") || type == UInt8(ascii: "|") ? count * 2 : count
            var values: [RESPValue] = []
            values.reserveCapacity(min(elements, 1024))
            for _ in 0..<elements {
                guard let element = try value(from: &buffer, depth: depth + 1) else { return nil }
                values.append(element)
            }
            switch type {
            case UInt8(ascii: ">"): return .push(values)
            case UInt8(ascii: "%"): return .map(values)
            // Attributes describe the reply that follows them: the reply is what counts.
            case UInt8(ascii: "|"): return try value(from: &buffer, depth: depth + 1)
            default: return .array(values)
            }
        default:
            throw ProtocolError(description: "a reply of unknown type '\(Character(Unicode.Scalar(type)))'")
        }
    }

    /// The text up to the next CRLF, read with it; nil when no CRLF has arrived.
    private static func line(from buffer: inout ByteBuffer) -> String? {
        guard let end = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\r")),
            end + 1 < buffer.writerIndex
        else { return nil }
        let text = buffer.readString(length: end - buffer.readerIndex)
        buffer.moveReaderIndex(forwardBy: 2)
        return text
    }

    private static func length(_ line: String) throws -> Int {
        guard let count = Int(line), count >= -1 else { throw ProtocolError(description: "a length of '\(line.prefix(40))'") }
        return count
    }
}
