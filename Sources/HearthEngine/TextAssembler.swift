/// Turns token bytes into text that is safe to send: whole UTF-8 characters only, and
/// never any part of a stop string. A plain value, tested without a model.
struct TextAssembler: Sendable {
    private let stops: [String]
    private var pendingBytes: [UInt8] = []
    private var heldText = ""
    private var stopped = false

    init(stops: [String]) {
        self.stops = stops
    }

    /// Adds a token's bytes. Returns the text now safe to emit, and whether a stop string
    /// was met (then the text before it is returned and nothing more should be added).
    mutating func append(_ bytes: [UInt8]) -> (text: String, stopped: Bool) {
        pendingBytes += bytes
        let complete = Self.completePrefixLength(pendingBytes)
        guard complete > 0 else { return ("", false) }
        heldText += String(decoding: pendingBytes[..<complete], as: UTF8.self)
        pendingBytes.removeFirst(complete)
        guard !stops.isEmpty else {
            defer { heldText = "" }
            return (heldText, false)
        }
        if let earliest = stops.compactMap({ heldText.range(of: $0)?.lowerBound }).min() {
            let text = String(heldText[..<earliest])
            heldText = ""
            pendingBytes = []
            stopped = true
            return (text, true)
        }
        let keep = stops.map { Self.overlap(of: heldText, withPrefixOf: $0) }.max() ?? 0
        let cut = heldText.index(heldText.endIndex, offsetBy: -keep)
        let text = String(heldText[..<cut])
        heldText = String(heldText[cut...])
        return (text, false)
    }

    /// What is still held back (a possible stop-string start, a partial character), at the end.
    mutating func flush() -> String {
        if stopped { return "" }
        defer {
            heldText = ""
            pendingBytes = []
        }
        return heldText + (pendingBytes.isEmpty ? "" : String(decoding: pendingBytes, as: UTF8.self))
    }

    /// Length of the longest prefix of `bytes` that does not end inside a UTF-8 character.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        var index = bytes.count - 1
        var continuation = 0
        while index >= 0, continuation < 3, bytes[index] & 0xC0 == 0x80 {
            index -= 1
            continuation += 1
        }
        guard index >= 0 else { return bytes.count }
        let lead = bytes[index]
        let needed = lead & 0x80 == 0 ? 1 : lead & 0xE0 == 0xC0 ? 2 : lead & 0xF0 == 0xE0 ? 3 : lead & 0xF8 == 0xF0 ? 4 : 1
        return continuation + 1 >= needed ? bytes.count : index
    }

    /// The number of characters at the end of `text` that begin `stop`.
    static func overlap(of text: String, withPrefixOf stop: String) -> Int {
        var length = min(text.count, stop.count - 1)
        while length > 0 {
            if text.hasSuffix(stop.prefix(length)) { return length }
            length -= 1
        }
        return 0
    }
}
