import NIOCore
import Testing

@testable import HearthRedis

/// Reading and writing the Redis protocol, byte by byte.
struct RESPTests {
    static func read(_ text: String) throws -> (RESPValue?, Int) {
        var buffer = ByteBuffer(string: text)
        let value = try RESP.read(from: &buffer)
        return (value, buffer.readableBytes)
    }

    @Test func commandsAreArraysOfBulkStrings() {
        var buffer = ByteBuffer()
        RESP.write(["SET", "k", "é v"], into: &buffer)
        #expect(String(buffer: buffer) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\né v\r\n")
    }

    @Test func everyTypeIsRead() throws {
        let cases: [(String, RESPValue)] = [
            ("+OK\r\n", .simple("OK")),
            ("-ERR wrong\r\n", .error("ERR wrong")),
            (":-42\r\n", .integer(-42)),
            (",3.5\r\n", .double(3.5)),
            (",inf\r\n", .double(.infinity)),
            ("#t\r\n", .boolean(true)),
            ("_\r\n", .null),
            ("$-1\r\n", .null),
            ("*-1\r\n", .null),
            ("$5\r\na\r\nbc\r\n", .blob(ByteBuffer(string: "a\r\nbc"))),
            ("$0\r\n\r\n", .blob(ByteBuffer())),
            ("!9\r\nERR blob!\r\n", .error("ERR blob!")),
            ("=8\r\ntxt:some\r\n", .blob(ByteBuffer(string: "some"))),
            ("(12345678901234567890\r\n", .simple("12345678901234567890")),
            ("*2\r\n:1\r\n*1\r\n+x\r\n", .array([.integer(1), .array([.simple("x")])])),
            ("~1\r\n:7\r\n", .array([.integer(7)])),
            ("%1\r\n+k\r\n:1\r\n", .map([.simple("k"), .integer(1)])),
            (
                ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n",
                .push([.blob(ByteBuffer(string: "message")), .blob(ByteBuffer(string: "c")), .blob(ByteBuffer(string: "hi"))])
            ),
            // An attribute is skipped: the reply after it is what was asked.
            ("|1\r\n+ttl\r\n:3\r\n:9\r\n", .integer(9)),
        ]
        for (text, expected) in cases {
            let (value, left) = try Self.read(text)
            #expect(value == expected, "\(text.debugDescription)")
            #expect(left == 0, "\(text.debugDescription) left \(left) bytes")
        }
    }

    @Test func aReplyCutAnywhereWaitsForTheRest() throws {
        let whole = "*3\r\n$5\r\nhello\r\n:12\r\n%1\r\n+a\r\n,1.5\r\n"
        for cut in 0..<whole.utf8.count {
            let part = String(decoding: Array(whole.utf8)[..<cut], as: UTF8.self)
            let (value, left) = try Self.read(part)
            #expect(value == nil, "cut at \(cut)")
            #expect(left == cut, "cut at \(cut): bytes were consumed")
        }
        let (value, _) = try Self.read(whole)
        #expect(value == .array([.blob(ByteBuffer(string: "hello")), .integer(12), .map([.simple("a"), .double(1.5)])]))
    }

    @Test func twoRepliesInOneReadComeOneAtATime() throws {
        var buffer = ByteBuffer(string: "+A\r\n:2\r\n")
        #expect(try RESP.read(from: &buffer) == .simple("A"))
        #expect(try RESP.read(from: &buffer) == .integer(2))
        #expect(try RESP.read(from: &buffer) == nil)
    }

    @Test func bytesThatAreNotRESPAreAnError() {
        for text in ["?x\r\n", ":twelve\r\n", "$-5\r\n", String(repeating: "*1\r\n", count: 40) + ":1\r\n"] {
            #expect(throws: RESP.ProtocolError.self, "\(text.prefix(12).debugDescription)") { _ = try Self.read(text) }
        }
    }

    @Test func valuesReadAsTextAndNumbers() {
        #expect(RESPValue.blob(ByteBuffer(string: "12")).int == 12)
        #expect(RESPValue.integer(3).string == "3")
        #expect(RESPValue.double(1_764_000_000_123).int == 1_764_000_000_123)
        #expect(RESPValue.double(1.5).int == nil)
        #expect(RESPValue.null.string == nil)
        #expect(RESPValue.array([.null]).elements == [.null])
    }
}
