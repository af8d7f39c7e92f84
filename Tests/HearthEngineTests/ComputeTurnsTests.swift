import Testing

@testable import HearthEngine

/// Whose computation runs next on the shared compute pool, without models or threads.
struct ComputeTurnsTests {
    typealias Turns = ComputeTurns<String>
    let start = ContinuousClock.now

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    @Test func theCallerThatComputedLeastGoesFirst() {
        var turns = Turns()
        // Equal use: the earlier arrival.
        #expect(turns.choose(among: ["a", "b"], now: at(0)) == .run(0))
        turns.ran("a", from: at(0), to: at(50))
        #expect(turns.choose(among: ["b"], now: at(50)) == .run(0))
        turns.ran("b", from: at(50), to: at(60))
        // a has used 50 ms, b 10 ms: b goes first although a arrived first.
        #expect(turns.choose(among: ["a", "b"], now: at(61)) == .run(1))
        turns.ran("b", from: at(61), to: at(101))
        #expect(turns.choose(among: ["a", "b"], now: at(101)) == .run(0))
    }

    /// An embedding lane that always has a large batch waiting, beside a generation that takes a
    /// moment to sample between its steps: each gets about half of the time, in turns.
    @Test func aStreamOfLargeBatchesCannotTakeEveryTurn() {
        var turns = Turns()
        var now = 0
        var used = ["generation": 0, "embedding": 0]
        var generationReady = now
        for _ in 0..<400 {
            let waiting = now >= generationReady ? ["embedding", "generation"] : ["embedding"]
            switch turns.choose(among: waiting, now: at(now)) {
            case .run(let index):
                let owner = waiting[index]
                let cost = owner == "generation" ? 10 : 40
                turns.ran(owner, from: at(now), to: at(now + cost))
                now += cost
                used[owner, default: 0] += cost
                if owner == "generation" { generationReady = now + 1 }
            case .wait(let moment):
                #expect(moment <= at(now + 3))
                now = generationReady
            }
        }
        let (generation, embedding) = (Double(used["generation"]!), Double(used["embedding"]!))
        #expect(generation / (generation + embedding) > 0.4, "\(used)")
        #expect(embedding / (generation + embedding) > 0.4, "\(used)")
    }

    @Test func aCallerOwedTimeIsWaitedForOnlyBriefly() {
        var turns = Turns()
        turns.ran("embedding", from: at(0), to: at(40))
        turns.ran("generation", from: at(40), to: at(50))
        // The generation (10 ms used) is sampling; the embedding lane (40 ms) waits for it.
        #expect(turns.choose(among: ["embedding"], now: at(51)) == .wait(until: at(53)))
        // Past the grace, the embedding goes.
        #expect(turns.choose(among: ["embedding"], now: at(53)) == .run(0))
        // A caller that is not owed time is not waited for.
        var other = Turns()
        other.ran("generation", from: at(0), to: at(40))
        #expect(other.choose(among: ["embedding"], now: at(41)) == .run(0))
    }

    @Test func aNewCallerStartsLevelWithoutCredit() {
        var turns = Turns()
        turns.ran("a", from: at(0), to: at(500))
        turns.ran("b", from: at(500), to: at(900))
        // c arrives new: it starts level with the least used (b, 400 ms), not at zero, so b
        // and c share the next turns instead of c taking 400 ms in a row.
        #expect(turns.choose(among: ["c", "b"], now: at(901)) == .run(0))
        turns.ran("c", from: at(901), to: at(911))
        #expect(turns.choose(among: ["c", "b"], now: at(911)) == .run(1))
    }

    @Test func aCallerIdleForASecondIsForgottenAndHasNoCredit() {
        var turns = Turns()
        turns.ran("a", from: at(0), to: at(10))
        turns.ran("b", from: at(10), to: at(1_600))
        // a comes back after 1.59 s: level with b, so the two alternate from here.
        #expect(turns.choose(among: ["a", "b"], now: at(1_600)) == .run(0))
        turns.ran("a", from: at(1_600), to: at(1_610))
        #expect(turns.choose(among: ["a", "b"], now: at(1_610)) == .run(1))
    }

    /// x computed 5 s beside l, which computed a moment now and then (never forgotten); n
    /// arrives: it may not take 5 s of turns in a row because l's account was that low.
    @Test func noCallerIsOwedMoreThanTheLagAndNoneIsStarved() {
        var turns = Turns()
        var now = 0
        for step in 0..<500 {
            if step % 90 == 0 {
                #expect(turns.choose(among: ["l", "x"], now: at(now)) == .run(0))
                turns.ran("l", from: at(now), to: at(now + 1))
                now += 1
            }
            turns.ran("x", from: at(now), to: at(now + 10))
            now += 10
        }
        var turnsOfN = 0
        while case .run(let index) = turns.choose(among: ["x", "n"], now: at(now)), index == 1 {
            turns.ran("n", from: at(now), to: at(now + 10))
            now += 10
            turnsOfN += 1
            if turnsOfN > 1_000 { break }
        }
        #expect(turnsOfN <= 11, "n took \(turnsOfN) turns before x had one")
    }

    @Test func othersAreBusyWhileTheyComputedInTheLast200Milliseconds() {
        var turns = Turns()
        turns.ran("generation", from: at(0), to: at(10))
        #expect(turns.othersAreBusy(than: "embedding", now: at(100)))
        #expect(!turns.othersAreBusy(than: "generation", now: at(100)))
        #expect(!turns.othersAreBusy(than: "embedding", now: at(300)))
    }
}
