import Foundation
import HearthCore

/// Cuts a loaded document into chunks that follow its structure: a chunk never spans two
/// sections, paragraphs and code blocks stay whole when they fit, long ones are cut at
/// lines, then sentences, then words. Consecutive chunks of one section overlap by a few
/// lines so that a fact on a boundary is found either way.
public struct Chunker: Sendable {
    /// Most estimated tokens in a chunk (the embedding model reads 256–512).
    public var budget: Int
    /// Estimated tokens repeated from the end of the previous chunk of the same section.
    public var overlap: Int

    public init(budget: Int = 200, overlap: Int = 40) {
        self.budget = max(16, budget)
        self.overlap = max(0, min(overlap, budget / 2))
    }

    /// A unit that is never split further, with what separates it from the one before.
    struct Piece {
        var text: String
        var separator: String
        var line: Int?
        var lastLine: Int?
        var page: Int?
        var tokens: Int
    }

    public func chunks(_ document: LoadedDocument) -> [ChunkDraft] {
        var chunks: [ChunkDraft] = []
        var headings: [(level: Int, text: String)] = []
        var current: [Piece] = []
        var tokens = 0

        func flush(keepOverlap: Bool) {
            guard !current.isEmpty else { return }
            chunks.append(make(current, headings: headings.map(\.text)))
            guard keepOverlap, overlap > 0 else {
                current = []
                tokens = 0
                return
            }
            var kept: [Piece] = []
            var keptTokens = 0
            for piece in current.reversed() {
                guard keptTokens + piece.tokens <= overlap else { break }
                kept.insert(piece, at: 0)
                keptTokens += piece.tokens
            }
            current = kept
            tokens = keptTokens
        }

        for block in document.blocks {
            if case .heading(let level) = block.kind {
                flush(keepOverlap: false)
                headings.removeAll { $0.level >= level }
                headings.append((level, String(block.text.prefix(200))))
                continue
            }
            for (index, piece) in pieces(block).enumerated() {
                if tokens + piece.tokens > budget {
                    flush(keepOverlap: true)
                    // Overlap never makes a chunk overflow.
                    while !current.isEmpty, tokens + piece.tokens > budget {
                        tokens -= current.removeFirst().tokens
                    }
                }
                var piece = piece
                if current.isEmpty { piece.separator = "" } else if index == 0 { piece.separator = "\n\n" }
                current.append(piece)
                tokens += piece.tokens
            }
        }
        flush(keepOverlap: false)
        return chunks
    }

    private func make(_ pieces: [Piece], headings: [String]) -> ChunkDraft {
        var text = ""
        for (index, piece) in pieces.enumerated() { text += (index == 0 ? "" : piece.separator) + piece.text }
        let lines = pieces.compactMap(\.line) + pieces.compactMap(\.lastLine)
        let pages = pieces.compactMap(\.page)
        return ChunkDraft(
            text: text, headings: headings,
            location: SourceLocation(
                lines: lines.min().map { $0...(lines.max() ?? $0) }, pages: pages.min().map { $0...(pages.max() ?? $0) }))
    }

    /// A block as pieces: whole when it fits, else its lines, long lines cut at sentences
    /// and then at words.
    func pieces(_ block: Block) -> [Piece] {
        let whole = TokenEstimate.count(block.text)
        let lineCount = block.text.reduce(0) { $1 == "\n" ? $0 + 1 : $0 }
        if whole <= budget {
            return [
                Piece(
                    text: block.text, separator: "\n\n", line: block.firstLine, lastLine: block.firstLine.map { $0 + lineCount },
                    page: block.page, tokens: whole)
            ]
        }
        var result: [Piece] = []
        for (offset, line) in block.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = block.firstLine.map { $0 + offset }
            let lineTokens = TokenEstimate.count(line)
            if lineTokens <= budget {
                if lineTokens > 0 || block.kind == .code {
                    result.append(Piece(text: String(line), separator: "\n", line: number, page: block.page, tokens: max(1, lineTokens)))
                }
                continue
            }
            var first = true
            for part in split(line) {
                result.append(
                    Piece(text: part, separator: first ? "\n" : " ", line: number, page: block.page, tokens: TokenEstimate.count(part)))
                first = false
            }
        }
        return result
    }

    /// A long line cut at sentence ends, and sentences still too long at words.
    private func split(_ line: Substring) -> [String] {
        var sentences: [String] = []
        var sentence = ""
        for character in line {
            sentence.append(character)
            if ".!?".contains(character) {
                sentences.append(sentence)
                sentence = ""
            }
        }
        if !sentence.isEmpty { sentences.append(sentence) }
        var parts: [String] = []
        for sentence in sentences.map({ $0.trimmingCharacters(in: .whitespaces) }) where !sentence.isEmpty {
            if TokenEstimate.count(sentence) <= budget {
                parts.append(sentence)
                continue
            }
            // A space counts nothing, so a part's estimate is the sum of its words'.
            var part = ""
            var tokens = 0
            for word in sentence.split(separator: " ") {
                let cost = TokenEstimate.count(word)
                if tokens + cost > budget, !part.isEmpty {
                    parts.append(part)
                    (part, tokens) = (String(word), cost)
                } else {
                    part = part.isEmpty ? String(word) : part + " " + word
                    tokens += cost
                }
            }
            if !part.isEmpty { parts.append(part) }
        }
        return parts
    }
}

/// A quick, conservative estimate of how many WordPiece/BPE tokens a text costs: words
/// count by length (long words split into pieces), punctuation counts one each.
public enum TokenEstimate {
    public static func count(_ text: some StringProtocol) -> Int {
        var total = 0
        var run = 0
        for scalar in text.unicodeScalars {
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                run += 1
            } else {
                if run > 0 { total += (run + 5) / 6 }
                run = 0
                if !scalar.properties.isWhitespace { total += 1 }
            }
        }
        if run > 0 { total += (run + 5) / 6 }
        return total
    }
}
