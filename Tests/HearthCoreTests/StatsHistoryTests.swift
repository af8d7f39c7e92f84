import Foundation
import HearthCore
import Testing

/// The last hour of the models' activity: 10-second buckets holding the most of each figure,
/// nothing older than an hour, and only the models a listener may use.
struct StatsHistoryTests {
    static func model(_ name: String, tokensPerSecond: Double, active: Int = 0) -> LoadedModel {
        var activity = ModelActivity()
        activity.generationTokensPerSecond = tokensPerSecond
        activity.activeSequences = active
        return LoadedModel(name: name, provider: "local", activity: activity)
    }

    @Test func aBucketKeepsTheMostOfItsSecondsAndAnHourIsKept() {
        let history = StatsHistory()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        history.record([Self.model("a", tokensPerSecond: 5, active: 1)], at: start)
        history.record([Self.model("a", tokensPerSecond: 90, active: 0), Self.model("b", tokensPerSecond: 1)], at: start + 4)
        history.record([Self.model("a", tokensPerSecond: 2)], at: start + 12)
        var series = history.series { _ in true }
        #expect(series["a"]?.map(\.tokensPerSecond) == [90, 2])
        #expect(series["a"]?.first?.activeSequences == 1)
        #expect(series["a"]?.map(\.time) == [start, start + 10])
        #expect(series["b"]?.count == 1)
        #expect(history.series { $0 == "b" }.keys.sorted() == ["b"], "a listener sees only the models it may use")
        // An hour later the first buckets are gone; a model unloaded since is gone with them.
        history.record([Self.model("a", tokensPerSecond: 7)], at: start + 3_605)
        series = history.series { _ in true }
        #expect(series["a"]?.map(\.tokensPerSecond) == [2, 7])
        #expect(series["b"] == nil)
    }
}
