import NIOCore
import Testing

@testable import HearthClient

/// Streamed answers split into JSON payloads as bytes arrive, whatever the buffers' edges.
@Suite struct EventLinesTests {
    /// Feeds `text` in pieces of `size` bytes; returns every payload, then the end's.
    static func payloads(_ text: String, size: Int) -> [String] {
        var lines = EventLines()
        var payloads: [String] = []
        let bytes = Array(text.utf8)
        for start in stride(from: 0, to: bytes.count, by: size) {
            payloads += lines.feed(ByteBuffer(bytes: bytes[start..<min(start + size, bytes.count)]))
        }
        return payloads + lines.finish()
    }

    @Test func serverSentEventsGiveTheirDataUntilDone() {
        let text = ": comment\nevent: chunk\ndata: {\"a\":\"é\"}\n\ndata:{\"b\":2}\r\n\r\ndata: [DONE]\n\ndata: {\"after\":1}\n\n"
        for size in 1...7 {
            #expect(Self.payloads(text, size: size) == [#"{"a":"é"}"#, #"{"b":2}"#], "pieces of \(size) bytes")
        }
    }

    @Test func ndjsonLinesAreEachAPayloadAndALastLineWithoutNewlineCounts() {
        let text = "{\"status\":\"started\"}\n\n{\"status\":\"downloading\",\"file\":\"ü\"}\n{\"status\":\"success\"}"
        for size in [1, 2, 5, 100] {
            #expect(
                Self.payloads(text, size: size) == [
                    #"{"status":"started"}"#, #"{"status":"downloading","file":"ü"}"#, #"{"status":"success"}"#,
                ])
        }
    }
}
