import Foundation

/// Text cut into the pieces a voice speaks one at a time: sentences, and long sentences
/// at their commas (or every 30 words), so that the first sound comes after the first piece
/// is synthesised, not the whole text. The first piece is kept short (12 words at most, cut
/// where one would pause: a comma, else before "and", "but", …), because a client waits for it.
public enum SpeechText {
    public static func pieces(_ text: String, maxWords: Int = 30) -> [String] {
        let normalized = text.replacingOccurrences(of: "\r", with: "\n")
        var sentences: [String] = []
        var current = ""
        let characters = Array(normalized)
        for (index, character) in characters.enumerated() {
            if character == "\n" {
                if !current.trimmingCharacters(in: .whitespaces).isEmpty { sentences.append(current) }
                current = ""
                continue
            }
            current.append(character)
            let next = index + 1 < characters.count ? characters[index + 1] : " "
            if ".!?".contains(character), next.isWhitespace {
                sentences.append(current)
                current = ""
            }
        }
        if !current.trimmingCharacters(in: .whitespaces).isEmpty { sentences.append(current) }
        var pieces = sentences.flatMap { split($0.trimmingCharacters(in: .whitespaces), maxWords: maxWords) }.filter {
            $0.contains { $0.isLetter || $0.isNumber }
        }
        if let first = pieces.first {
            pieces.replaceSubrange(0..<1, with: opening(first))
        }
        return pieces
    }

    /// Words before which speech pauses naturally.
    static let joins: Set<String> = ["and", "but", "or", "so", "because", "which", "while", "when", "where", "that", "then"]

    /// The first piece in two when it is long: after a clause mark among words 4 to 12, else
    /// before a joining word among words 5 to 12, else after word 8.
    static func opening(_ piece: String) -> [String] {
        let words = piece.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count > 12 else { return [piece] }
        var cut = 8
        if let mark = (3..<12).first(where: { ",;:".contains(words[$0].last ?? " ") }) {
            cut = mark + 1
        } else if let join = (5..<12).first(where: { joins.contains(words[$0].lowercased()) }) {
            cut = join
        }
        return [words[..<cut].joined(separator: " "), words[cut...].joined(separator: " ")]
    }

    /// A sentence of more than `maxWords` words cut after commas, or else every `maxWords` words.
    static func split(_ sentence: String, maxWords: Int) -> [String] {
        let words = sentence.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count > maxWords else { return [sentence] }
        var pieces: [String] = []
        var piece: [Substring] = []
        for word in words {
            piece.append(word)
            let clauseEnds = word.last.map { ",;:".contains($0) } ?? false
            if piece.count >= maxWords || (clauseEnds && piece.count >= maxWords / 3) {
                pieces.append(piece.joined(separator: " "))
                piece = []
            }
        }
        if !piece.isEmpty { pieces.append(piece.joined(separator: " ")) }
        return pieces
    }
}
