/// Prompt-lookup drafting (n-gram speculative decoding without a draft model): answers that
/// quote their prompt (retrieval answers, code edits, summaries) repeat spans of it, so the
/// tokens that followed the last few generated tokens where they appeared earlier are a good
/// guess at what comes next. The batch loop decodes the guess with the next token in one
/// batch and keeps the longest prefix the model itself would have produced, so the output
/// is the same as without guessing, only sooner.
enum PromptLookup {
    /// Lengths of the n-gram looked up, longest first: a longer match is a surer guess.
    static let ngrams = [4, 3]

    /// Up to `count` tokens that followed the latest earlier occurrence of `history`'s last
    /// n-gram in `history`; empty when none occurs.
    static func draft(_ history: [Int32], count: Int) -> [Int32] {
        guard count > 0 else { return [] }
        for n in ngrams where history.count > n {
            let tail = history.count - n
            var start = tail - 1
            while start >= 0 {
                if history[start] == history[tail], (1..<n).allSatisfy({ history[start + $0] == history[tail + $0] }) {
                    let from = start + n
                    return Array(history[from..<min(from + count, history.count)])
                }
                start -= 1
            }
        }
        return []
    }

    /// Most answers running at once for which guesses are made: with more, the batch already
    /// keeps the cores busy and checking guesses costs more than it saves.
    static let maxRunning = 2

    /// How long the guesses of one answer may be, after how the earlier ones fared: doubled
    /// while all were right (up to `maximum`), cut to what was right otherwise; at 0 (nothing
    /// was right) guessing pauses for `pause` tokens, then tries 2 again (an answer may start
    /// in its own words and quote later).
    struct Budget: Equatable {
        static let maximum = 16
        static let pause = 16

        private(set) var limit = 8
        private var resumesAt = 0

        /// The longest guess allowed once the answer has `generated` tokens.
        func allowed(generated: Int) -> Int {
            limit > 0 ? limit : (generated >= resumesAt ? 2 : 0)
        }

        /// A guess of `drafted` tokens kept `accepted`, with the answer at `generated` tokens.
        mutating func update(drafted: Int, accepted: Int, generated: Int) {
            guard drafted > 0 else { return }
            limit = accepted == drafted ? min(Self.maximum, max(limit, drafted) * 2) : accepted
            if limit == 0 { resumesAt = generated + Self.pause }
        }
    }
}
