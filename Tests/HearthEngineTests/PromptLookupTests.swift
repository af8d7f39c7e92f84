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

    @Test func theGuessGrowsWhileRightShrinksToWhatWasRightAndPausesWhenNothingWas() {
        var budget = PromptLookup.Budget()
        #expect(budget.allowed(generated: 0) == 8)
        budget.update(drafted: 8, accepted: 8, generated: 9)
        #expect(budget.allowed(generated: 9) == 16)
        budget.update(drafted: 16, accepted: 16, generated: 26)
        #expect(budget.allowed(generated: 26) == 16)
        budget.update(drafted: 16, accepted: 3, generated: 30)
        #expect(budget.allowed(generated: 30) == 3)
        budget.update(drafted: 0, accepted: 0, generated: 31)
        #expect(budget.allowed(generated: 31) == 3)
        budget.update(drafted: 3, accepted: 0, generated: 32)
        #expect(budget.allowed(generated: 40) == 0)
        #expect(budget.allowed(generated: 48) == 2)
        budget.update(drafted: 2, accepted: 2, generated: 51)
        #expect(budget.allowed(generated: 51) == 4)
    }
}
