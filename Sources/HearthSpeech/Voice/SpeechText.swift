import Foundation

/// Text cut into the pieces a voice speaks one at a time: sentences, and long sentences
/// at their commas (or every 30 words), so that the first sound comes after the first piece
/// is synthesised, not the whole text.
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
        return sentences.flatMap { split($0.trimmingCharacters(in: .whitespaces), maxWords: maxWords) }.filter {
            $0.contains { $0.isLetter || $0.isNumber }
        }
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
