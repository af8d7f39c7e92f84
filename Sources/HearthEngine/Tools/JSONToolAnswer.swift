import Foundation
import HearthCore

/// Reads an answer in `JSONToolFormat` as it streams: the text of `{"response": "…"}` is
/// passed on as it comes, calls are read once the answer ends. An answer that does not
/// parse (cut by `max_tokens`) is returned as it stands: the response's text so far, or
/// the raw output when it was a call; never an error.
struct JSONToolAnswer: ToolAnswerReader {
    private var output = ""
    /// Whether the output is an answer in words (its text is being passed on) or calls; nil
    /// until its first key shows which.
    private var answering: Bool?
    private var decoder = StringDecoder()

    /// The answer's new text, given the model's next piece of output (its calls come at the end).
    mutating func feed(_ piece: String) -> (text: String, calls: [ToolCall]) {
        (text(after: piece), [])
    }

    private mutating func text(after piece: String) -> String {
        output += piece
        switch answering {
        case true?: return decoder.feed(Substring(piece))
        case false?: return ""
        case nil:
            guard let key = output.firstMatch(of: #/^\s*\{\s*"(response|tool_calls)"\s*:\s*/#) else { return "" }
            guard key.1 == "response" else {
                answering = false
                return ""
            }
            guard output[key.range.upperBound...].first == "\"" else { return "" }
            answering = true
            return decoder.feed(output[output.index(after: key.range.upperBound)...])
        }
    }

    /// The calls, and the text not passed on yet, once the output has ended.
    func finish() -> (text: String, calls: [ToolCall]) {
        if answering == true { return ("", []) }  // its text was passed on as it came
        let parsed = (try? JSONSerialization.jsonObject(with: Data(output.utf8))) as? [String: Any]
        if let items = parsed?["tool_calls"] as? [[String: Any]] {
            let read = items.compactMap { call -> ToolCall? in
                guard let name = call["name"] as? String else { return nil }
                let arguments = call["arguments"].flatMap { JSONToolFormat.text(of: $0) } ?? "{}"
                return ToolCall(name: name, arguments: arguments)
            }
            // The same call twice is one call (small models repeat themselves).
            var seen = Set<[String]>()
            let distinct = read.filter { seen.insert([$0.name, $0.arguments]).inserted }
            if !distinct.isEmpty { return ("", distinct) }
        }
        return (output, [])
    }

    /// Decodes a JSON string's characters as they arrive, up to its closing quote; an
    /// escape cut between two pieces waits for the rest.
    private struct StringDecoder {
        private var pending = ""
        private var ended = false

        mutating func feed(_ piece: Substring) -> String {
            guard !ended else { return "" }
            pending += piece
            var text = ""
            var index = pending.startIndex
            while index < pending.endIndex {
                let character = pending[index]
                if character == "\"" {
                    ended = true
                    pending = ""
                    return text
                }
                guard character == "\\" else {
                    text.append(character)
                    index = pending.index(after: index)
                    continue
                }
                // An escape: \x or \uXXXX (a surrogate pair is two of those).
                guard let (decoded, next) = Self.escape(in: pending, at: index) else { break }
                text += decoded
                index = next
            }
            pending = String(pending[index...])
            return text
        }

        /// The characters the escape at `index` stands for and the index after it; nil when
        /// `text` ends before the escape does.
        private static func escape(in text: String, at index: String.Index) -> (String, String.Index)? {
            let utf16 = Array(text[index...].utf16.prefix(12))
            guard utf16.count >= 2 else { return nil }
            let simple: [UInt16: String] = [
                0x22: "\"", 0x5C: "\\", 0x2F: "/", 0x62: "\u{08}", 0x66: "\u{0C}", 0x6E: "\n", 0x72: "\r", 0x74: "\t",
            ]
            if let decoded = simple[utf16[1]] { return (decoded, text.utf16.index(index, offsetBy: 2)) }
            guard utf16[1] == 0x75 else { return ("", text.utf16.index(index, offsetBy: 2)) }  // not JSON: dropped
            guard utf16.count >= 6, let unit = UInt16(String(decoding: utf16[2..<6], as: UTF16.self), radix: 16) else {
                return utf16.count >= 6 ? ("", text.utf16.index(index, offsetBy: 6)) : nil
            }
            if UTF16.isLeadSurrogate(unit) {
                guard utf16.count >= 12 else { return nil }
                if utf16[6] == 0x5C, utf16[7] == 0x75, let low = UInt16(String(decoding: utf16[8..<12], as: UTF16.self), radix: 16),
                    UTF16.isTrailSurrogate(low)
                {
                    return (String(decoding: [unit, low], as: UTF16.self), text.utf16.index(index, offsetBy: 12))
                }
            }
            return (String(decoding: [unit], as: UTF16.self), text.utf16.index(index, offsetBy: 6))
        }
    }
}
