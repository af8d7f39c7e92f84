import Foundation

/// Makes sure an answer's sentences carry [n] markers: a sentence the model left without
/// one gets the number of the source that shares the most of its content words (at least
/// two, and a third of them), so that a small model's answer is still traceable. A sentence
/// with no such source, and text inside code fences, stay as they are; a marker with a
/// number no source has is dropped. Works on a stream: text comes out a sentence at a time.
struct CitationMarker {
    private let sources: [Set<String>]
    private var buffer = ""
    private var inCode = false

    init(sources: [String]) {
        self.sources = sources.map(Self.contentWords)
    }

    /// Takes new text; returns the text that is ready to show.
    mutating func feed(_ text: String) -> String {
        buffer += text
        var ready = ""
        while let end = sentenceEnd(in: buffer) {
            let sentence = String(buffer[..<end])
            buffer.removeSubrange(..<end)
            ready += mark(sentence)
        }
        return ready
    }

    /// The rest of the text.
    mutating func finish() -> String {
        defer { buffer = "" }
        return mark(buffer)
    }

    /// Where the first sentence of `text` ends: after `.`, `!` or `?` and a space or line
    /// break, or at a line break that ends a paragraph or comes before a list item, heading,
    /// table row or code fence. A line break inside a paragraph (a model wrapping its lines)
    /// does not end a sentence; inside code, and after a fence line, every line break does.
    /// Nil when more text is needed to tell.
    private func sentenceEnd(in text: String) -> String.Index? {
        var index = text.startIndex
        var lineStart = index
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "\n" {
                if inCode || text[lineStart..<index].drop(while: \.isWhitespace).hasPrefix("```") { return next }
                guard next < text.endIndex else { return nil }
                if "\n-*+#|`>".contains(text[next]) || text[next].isNumber { return next }
                lineStart = next
            } else if ".!?".contains(character), next < text.endIndex, text[next] == " " || text[next] == "\n" {
                return next
            }
            index = next
        }
        return nil
    }

    private mutating func mark(_ sentence: String) -> String {
        let fences = sentence.components(separatedBy: "```").count - 1
        defer { if fences % 2 == 1 { inCode.toggle() } }
        guard !inCode, fences == 0, sentence.contains(where: \.isLetter) else { return sentence }
        // A number no source has (a small model imitating the list of sources) is dropped.
        let count = sources.count
        let sentence = sentence.replacing(#/( ?)\[(\d+)\]( ?)/#) { match in
            guard let number = Int(match.2), (1...count).contains(number) else { return match.1.isEmpty || match.3.isEmpty ? "" : " " }
            return String(match.0)
        }
        if sentence.contains(#/\[\d+\]/#) { return sentence }
        let words = Self.contentWords(sentence)
        guard words.count >= 2 else { return sentence }
        var best = (index: -1, shared: 0)
        for (index, source) in sources.enumerated() {
            let shared = words.intersection(source).count
            if shared > best.shared { best = (index, shared) }
        }
        guard best.index >= 0, best.shared >= 2, Double(best.shared) >= Double(words.count) / 3 else { return sentence }
        // Before the sentence's final punctuation and spacing.
        var body = sentence
        var tail = ""
        while let last = body.last, last.isWhitespace || ".!?:;,".contains(last) {
            tail.insert(body.removeLast(), at: tail.startIndex)
        }
        return body + " [\(best.index + 1)]" + tail
    }

    static func contentWords(_ text: String) -> Set<String> {
        Set(
            text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init).filter {
                $0.count >= 4 && !ignored.contains($0)
            })
    }

    private static let ignored: Set<String> = [
        "that", "this", "with", "from", "have", "will", "they", "them", "then", "than", "there", "their", "which", "when", "what",
        "where", "your", "about", "also", "into", "more", "some", "such", "only", "other", "these", "those", "would", "could",
        "should", "does", "used", "using", "sources", "source",
    ]
}
