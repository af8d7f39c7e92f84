import Foundation
import NIOCore

/// A message of NATS: what was published on a subject, with the subject to answer on.
public struct NATSMessage: Sendable, Equatable {
    public var subject: String
    public var replyTo: String?
    /// Header fields (`HPUB`/`HMSG`), in order.
    public var headers: [(name: String, value: String)]
    /// The status of a message the server made itself (`503`: no one subscribes to a
    /// request's subject); nil for a published one.
    public var status: Int?
    public var payload: [UInt8]

    public init(subject: String, replyTo: String? = nil, headers: [(name: String, value: String)] = [], payload: [UInt8]) {
        self.subject = subject
        self.replyTo = replyTo
        self.headers = headers
        self.payload = payload
    }

    /// The first header field called `name` (case-insensitive), nil when there is none.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public static func == (a: NATSMessage, b: NATSMessage) -> Bool {
        a.subject == b.subject && a.replyTo == b.replyTo && a.status == b.status && a.payload == b.payload
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }
}

/// What the server sends.
enum NATSFrame: Sendable, Equatable {
    case info(String)
    case message(NATSMessage, sid: Int)
    case ping
    case pong
    case ok
    case error(String)
}

/// Reads and writes the NATS client protocol (text lines, with payloads after `MSG` and
/// `HMSG`).
enum NATSWire {
    struct ProtocolError: Error, CustomStringConvertible {
        let description: String
    }

    /// The longest control line accepted (the server's default is 4 KiB).
    static let maxLine = 64 * 1024

    /// The first whole frame in `buffer`, read from it; nil (and `buffer` unread) when it
    /// has not all arrived.
    static func read(from buffer: inout ByteBuffer) throws -> NATSFrame? {
        var copy = buffer
        guard let end = copy.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if copy.readableBytes > maxLine { throw ProtocolError(description: "a line longer than \(maxLine) bytes") }
            return nil
        }
        var line = copy.readString(length: end - copy.readerIndex) ?? ""
        copy.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        let verb = parts.first.map { $0.uppercased() } ?? ""
        let frame: NATSFrame
        switch verb {
        case "PING": frame = .ping
        case "PONG": frame = .pong
        case "+OK": frame = .ok
        case "-ERR": frame = .error(line.dropFirst(4).trimmingCharacters(in: CharacterSet(charactersIn: " '")))
        case "INFO": frame = .info(String(line.dropFirst(4)).trimmingCharacters(in: .whitespaces))
        case "MSG", "HMSG":
            let headered = verb == "HMSG"
            // MSG subject sid [reply] size; HMSG subject sid [reply] header-size total-size
            let numbers = headered ? 2 : 1
            guard parts.count == 3 + numbers || parts.count == 4 + numbers, let sid = Int(parts[2]),
                let total = Int(parts[parts.count - 1]), total >= 0
            else { throw ProtocolError(description: "a malformed '\(line.prefix(80))'") }
            let headerSize = headered ? Int(parts[parts.count - 2]) ?? -1 : 0
            guard headerSize >= 0, headerSize <= total else { throw ProtocolError(description: "a malformed '\(line.prefix(80))'") }
            guard copy.readableBytes >= total + 2, let bytes = copy.readBytes(length: total) else { return nil }
            copy.moveReaderIndex(forwardBy: 2)
            var message = NATSMessage(
                subject: String(parts[1]), replyTo: parts.count == 4 + numbers ? String(parts[3]) : nil,
                payload: Array(bytes[headerSize...]))
            if headerSize > 0 { (message.status, message.headers) = headers(String(decoding: bytes[..<headerSize], as: UTF8.self)) }
            frame = .message(message, sid: sid)
        default:
            throw ProtocolError(description: "an unknown '\(line.prefix(40))'")
        }
        buffer = copy
        return frame
    }

    /// A header block's status (`NATS/1.0 503`) and fields.
    static func headers(_ block: String) -> (Int?, [(name: String, value: String)]) {
        var lines = block.components(separatedBy: "\r\n")
        let first = lines.isEmpty ? "" : lines.removeFirst()
        let status = first.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        let fields = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return (status, fields)
    }

    /// `PUB`, or `HPUB` when there are headers.
    static func publish(_ message: NATSMessage, into buffer: inout ByteBuffer) {
        let reply = message.replyTo.map { " " + $0 } ?? ""
        if message.headers.isEmpty {
            buffer.writeString("PUB \(message.subject)\(reply) \(message.payload.count)\r\n")
        } else {
            var block = "NATS/1.0\r\n"
            for (name, value) in message.headers { block += "\(name): \(value)\r\n" }
            block += "\r\n"
            let size = block.utf8.count
            buffer.writeString("HPUB \(message.subject)\(reply) \(size) \(size + message.payload.count)\r\n")
            buffer.writeString(block)
        }
        buffer.writeBytes(message.payload)
        buffer.writeString("\r\n")
    }

    /// Whether `subject` may be published to or subscribed on: tokens of printable
    /// characters without spaces, separated by dots (`*` and `>` only to subscribe).
    static func isValid(_ subject: String) -> Bool {
        !subject.isEmpty && subject.utf8.count <= 1024
            && subject.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { token in
                !token.isEmpty && token.unicodeScalars.allSatisfy { $0.value > 32 && $0.value < 127 }
            }
    }
}
