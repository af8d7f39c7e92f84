import Foundation

/// Prompt-lookup drafting (n-gram speculative decoding without a draft model): answers that
/// quote their prompt (retrieval answers, code edits, summaries) repeat spans of it, so the
/// tokens that followed the last few generated tokens where they appeared earlier are a good
/// guess at what comes next. The batch loop decodes the guess with the next token in one
/// batch and keeps the longest prefix the model itself would have produced, so the output
/// is the same as without guessing, only sooner.
///
/// A guess pays only where checking a token costs less than the step it may save: on a GPU a
/// token more in a step costs almost nothing, on two CPU cores it may cost most of a step.
/// So the loop measures both (`Cost`), each answer learns how often its guesses are kept
/// (`Budget`), and a guess is as long as its tokens are likely enough to be kept to pay.
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

    /// What a guessed token costs here, measured on steps that only write answers (no prompt,
    /// no other model's turn in between): a step's time without guesses, by answers running,
    /// and what each guessed token adds to it.
    struct Cost: Equatable {
        /// Weight of the newest step in the running averages.
        static let weight = 0.1

        private(set) var step: [Int: Double] = [:]
        private(set) var perGuess: Double?

        /// A step of `running` answers and `guessed` tokens of guesses took `seconds`.
        mutating func record(running: Int, guessed: Int, seconds: Double) {
            guard running > 0, seconds > 0 else { return }
            if guessed == 0 {
                step[running] = Self.average(step[running], seconds)
            } else if let base = step[running] {
                perGuess = Self.average(perGuess, max(0, seconds - base) / Double(guessed))
            }
        }

        /// What a guess is assumed to cost before it is measured (and with `HEARTH_PROMPT_LOOKUP=1`),
        /// as a share of a token: about what a wide CPU or a GPU charges.
        static let assumedRatio = 0.2

        /// A guessed token's cost as a share of what writing one token costs without guesses
        /// (a step's time over the answers it writes); `assumedRatio` while either is unknown,
        /// so that the first guesses are made and measured.
        func ratio(running: Int) -> Double {
            guard let perGuess, let base = step[running], base > 0 else { return Self.assumedRatio }
            return perGuess / (base / Double(running))
        }

        /// The measured ratio with the fewest answers running that a step was timed for; nil
        /// until a guess has been measured.
        var measured: Double? {
            guard perGuess != nil, let running = step.keys.min() else { return nil }
            return ratio(running: running)
        }

        private static func average(_ old: Double?, _ new: Double) -> Double {
            old.map { $0 + weight * (new - $0) } ?? new
        }
    }

    /// How long one answer's guesses may be. The chance that a guessed token is kept, `p`, is
    /// learnt from the answer's own guesses and, while it makes none, from the guess it would
    /// have made (free to check: the model writes the token anyway); recent ones count most,
    /// since an answer may start in its own words and quote later. A guess of k tokens keeps
    /// its k-th only if the k − 1 before it were kept (p^k), and that token pays only where
    /// p^k is above the cost ratio, so the guess stops there.
    struct Budget: Equatable {
        static let maximum = 16
        /// Weight kept by the older observations at each new one.
        static let decay = 0.9

        /// Guessed tokens kept and missed, decayed; the prior of a new answer: likely kept.
        private(set) var kept = 4.0
        private(set) var missed = 0.5

        /// The chance that a guessed token is kept.
        var p: Double { kept / (kept + missed) }

        /// The longest guess worth making where a guessed token costs `ratio` of a token.
        func allowed(ratio: Double) -> Int {
            guard ratio > 0 else { return Self.maximum }
            guard p > ratio else { return 0 }
            guard p < 1 else { return Self.maximum }
            // p^k > ratio ⇔ k < log(ratio) / log(p)
            let longest = (log(ratio) / log(p)).rounded(.up) - 1
            return Int(min(Double(Self.maximum), max(0, longest)))
        }

        /// A guess of `drafted` tokens of which the model kept the first `accepted` (or, with
        /// `drafted` 1, a guess not made: whether the model wrote it).
        mutating func update(drafted: Int, accepted: Int) {
            guard drafted > 0 else { return }
            let missedOne = accepted < drafted ? 1.0 : 0.0
            for index in 0..<(accepted + Int(missedOne)) {
                let keptOne = index < accepted
                kept = kept * Self.decay + (keptOne ? 1 : 0)
                missed = missed * Self.decay + (keptOne ? 0 : 1)
            }
        }
    }
}
