/// The words of a question that a keyword index looks up, shared by the stores so that every
/// backend searches the same words.
public enum KeywordQuery {
    /// The words of `text`, lowercased, common English words left out, each once, in order.
    public static func words(_ text: String) -> [String] {
        var words: [String] = []
        var seen = Set<String>()
        for word in text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "_" }) {
            let word = String(word)
            guard !stopwords.contains(word), seen.insert(word).inserted else { continue }
            words.append(word)
        }
        return words
    }

    /// Words too common to say what a question is about.
    public static let stopwords: Set<String> = [
        "a", "about", "an", "and", "any", "are", "as", "at", "be", "by", "can", "could", "did", "do", "does", "for", "from", "get",
        "has", "have", "how", "i", "if", "in", "is", "it", "its", "me", "my", "of", "on", "or", "should", "so", "that", "the",
        "their", "there", "these", "this", "to", "use", "was", "we", "what", "when", "where", "which", "who", "why", "will",
        "with", "would", "you", "your",
    ]

    /// Most chunks a word may occur in, of `total`, and still be searched for: BM25 gives
    /// words found in more than 2% of all chunks little weight (their inverse document
    /// frequency is low), yet scoring their long posting lists is what makes a keyword query
    /// slow on a large store (the way search engines prune such terms).
    public static func commonWordLimit(total: Int) -> Int { max(2000, total / 50) }
}
