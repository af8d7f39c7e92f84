import Testing

@testable import HearthEngine

/// Drafting from the prompt: what follows the latest earlier occurrence of the last n-gram.
struct PromptLookupTests {
    @Test func theTokensAfterTheLatestEarlierOccurrenceOfTheLastNGramAreTheDraft() {
        // … 1 2 3 4 [5 6 7] … 9 1 2 3 4 [8 9] … 1 2 3 4: the latest match is the second.
        let history: [Int32] = [1, 2, 3, 4, 5, 6, 7, 9, 1, 2, 3, 4, 8, 9, 0, 1, 2, 3, 4]
        #expect(PromptLookup.draft(history, count: 2) == [8, 9])
        #expect(PromptLookup.draft(history, count: 10) == [8, 9, 0, 1, 2, 3, 4])
        #expect(PromptLookup.draft(history, count: 0) == [])
    }

    @Test func aShorterNGramIsTriedWhenTheLongerDoesNotRecur() {
        // The 4-gram [7 1 2 3] never occurred before; the 3-gram [1 2 3] did.
        let history: [Int32] = [1, 2, 3, 5, 6, 7, 1, 2, 3]
        #expect(PromptLookup.draft(history, count: 3) == [5, 6, 7])
        #expect(PromptLookup.draft([1, 2, 3, 4, 5, 6], count: 3) == [])
        #expect(PromptLookup.draft([1, 2], count: 3) == [])
    }

    @Test func aGuessIsAsLongAsItsTokensAreLikelyEnoughToBeKeptToPay() {
        var budget = PromptLookup.Budget()
        // A new answer's guesses are likely kept (p = 8/9): long where a guessed token costs a
        // fifth of a token (0.889^13 > 0.2 > 0.889^14), one token where it costs most of one.
        #expect(budget.allowed(ratio: 0.2) == 13)
        #expect(budget.allowed(ratio: 0.8) == 1)
        #expect(budget.allowed(ratio: 0.95) == 0)
        #expect(budget.allowed(ratio: 0) == PromptLookup.Budget.maximum)
        // Guesses kept whole: as long as allowed even where they cost much.
        for _ in 0..<4 { budget.update(drafted: 8, accepted: 8) }
        #expect(budget.allowed(ratio: 0.8) == PromptLookup.Budget.maximum)
        // Mostly missed: none where a guess costs much, shorter where it costs little.
        for _ in 0..<4 { budget.update(drafted: 4, accepted: 1) }
        #expect(budget.allowed(ratio: 0.8) == 0)
        #expect(budget.allowed(ratio: 0.2) == 4)
        // The guesses not made that the model wrote anyway bring guessing back (a quote begins).
        for _ in 0..<3 { budget.update(drafted: 1, accepted: 1) }
        #expect(budget.allowed(ratio: 0.8) == 0)
        budget.update(drafted: 1, accepted: 1)
        #expect(budget.allowed(ratio: 0.8) == 1)
        // An empty guess tells nothing.
        let before = budget
        budget.update(drafted: 0, accepted: 0)
        #expect(budget == before)
    }

    @Test func aGuessedTokensCostIsMeasuredAgainstAStepWithoutGuesses() {
        var cost = PromptLookup.Cost()
        // Unknown: assumed cheap, so that guesses are made and measured.
        #expect(cost.ratio(running: 1) == PromptLookup.Cost.assumedRatio)
        cost.record(running: 1, guessed: 8, seconds: 0.2)
        #expect(cost.ratio(running: 1) == PromptLookup.Cost.assumedRatio)
        #expect(cost.measured == nil)
        // A step of one answer 25 ms; with 8 guessed tokens 185 ms: 20 ms a guess, 0.8 of a token.
        cost.record(running: 1, guessed: 0, seconds: 0.025)
        cost.record(running: 1, guessed: 8, seconds: 0.185)
        #expect(abs(cost.ratio(running: 1) - 0.8) < 1e-9)
        // Two answers in 30 ms: 15 ms a token, so the same guess costs more than a token there.
        cost.record(running: 2, guessed: 0, seconds: 0.030)
        #expect(abs(cost.ratio(running: 2) - 20.0 / 15) < 1e-9)
        // What the status shows: the ratio with the fewest answers running.
        #expect(abs(cost.measured! - 0.8) < 1e-9)
        // Later steps move the averages a tenth of the way.
        cost.record(running: 1, guessed: 0, seconds: 0.035)
        #expect(abs(cost.step[1]! - 0.026) < 1e-9)
    }
}
