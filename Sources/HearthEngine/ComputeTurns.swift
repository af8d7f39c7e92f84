/// Whose computation runs next on the compute pool: a value told the time, tested without
/// models. Turns are fair in time: among the callers waiting, the one that has computed least
/// goes first; a caller that computed a moment ago and is still owed time is waited for
/// briefly (it is sampling its next step), so that another's stream of large batches cannot
/// take every turn. Credit is bounded: a new caller, or one back from idling, starts level
/// with the others, and nobody is owed more than `maxLag`, so a caller that computed much
/// alone is not then starved while the others catch up.
struct ComputeTurns<Owner: Hashable> {
    typealias Instant = ContinuousClock.Instant

    /// How long a caller owed time is waited for after its last turn.
    static var grace: Duration { .milliseconds(3) }
    /// A caller idle for longer is forgotten (starts level when it comes back).
    static var forgetAfter: Duration { .seconds(1) }
    /// Most compute time a caller may be owed (behind the one that computed most).
    static var maxLag: Duration { .milliseconds(100) }
    /// A caller that computed within this long is busy (see `othersAreBusy`).
    static var busyWithin: Duration { .milliseconds(200) }

    enum Choice: Equatable {
        /// Run the waiting call at this index.
        case run(Int)
        /// Wait for the caller owed time until this moment (or for another call).
        case wait(until: Instant)
    }

    private struct Account {
        var used: Duration
        var lastTurn: Instant
    }

    private var accounts: [Owner: Account] = [:]
    private var last: (owner: Owner, ended: Instant)?

    /// What to do with calls waiting from `waiting` owners (in arrival order, not empty).
    mutating func choose(among waiting: [Owner], now: Instant) -> Choice {
        accounts = accounts.filter { now - $0.value.lastTurn < Self.forgetAfter }
        if let top = accounts.values.map(\.used).max() {
            for owner in accounts.keys { accounts[owner]!.used = max(accounts[owner]!.used, top - Self.maxLag) }
        }
        let floor = accounts.values.map(\.used).min() ?? .zero
        for owner in waiting where accounts[owner] == nil {
            accounts[owner] = Account(used: floor, lastTurn: now)
        }
        // Ties go to the earliest arrival.
        let best = waiting.indices.min { accounts[waiting[$0]]!.used < accounts[waiting[$1]]!.used }!
        if let last, !waiting.contains(last.owner), let owed = accounts[last.owner], owed.used < accounts[waiting[best]]!.used,
            now < last.ended + Self.grace
        {
            return .wait(until: last.ended + Self.grace)
        }
        return .run(best)
    }

    /// Records that `owner` computed from `started` to `ended`.
    mutating func ran(_ owner: Owner, from started: Instant, to ended: Instant) {
        accounts[owner, default: Account(used: .zero, lastTurn: ended)].used += ended - started
        accounts[owner]?.lastTurn = ended
        last = (owner, ended)
    }

    /// Whether an owner other than `owner` computed recently.
    func othersAreBusy(than owner: Owner, now: Instant) -> Bool {
        accounts.contains { $0.key != owner && now - $0.value.lastTurn < Self.busyWithin }
    }
}
