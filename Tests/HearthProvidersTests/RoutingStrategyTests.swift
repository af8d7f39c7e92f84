import HearthCore
import HearthTesting
import Testing

@testable import HearthProviders

/// The order each strategy tries a model's deployments in, over made-up statistics and a
/// seeded random source.
struct RoutingStrategyTests {
    /// SplitMix64: the same draws on every run.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    let deployments = ["a", "b", "c"].map { ProviderRouter.Deployment(provider: ScriptedProvider(model: $0), model: $0) }

    func names(_ ordered: [ProviderRouter.Deployment]) -> [String] { ordered.map(\.model) }

    @Test func priorityKeepsTheConfiguredOrder() {
        var random = Seeded(state: 1)
        #expect(names(RoutingStrategy.priority.order(deployments, stats: { _ in DeploymentStats() }, using: &random)) == ["a", "b", "c"])
    }

    @Test func weightedDrawsInProportion() {
        var weighted = deployments
        weighted[0].weight = 3
        weighted[1].weight = 1
        weighted[2].weight = 0
        var random = Seeded(state: 7)
        var firsts: [String: Int] = [:]
        for _ in 0..<4_000 {
            let ordered = names(RoutingStrategy.weighted.order(weighted, stats: { _ in DeploymentStats() }, using: &random))
            #expect(Set(ordered) == ["a", "b", "c"] && ordered.last == "c")
            firsts[ordered[0], default: 0] += 1
        }
        // 3 : 1, within a few percent.
        #expect((2_850...3_150).contains(firsts["a"] ?? 0), "\(firsts)")
    }

    @Test func leastBusyAndLowestLatencyPreferTheQuietAndTheQuick() {
        var random = Seeded(state: 3)
        let busy: [String: DeploymentStats] = [
            "a": DeploymentStats(inFlight: 4, firstTokenSeconds: 0.2), "b": DeploymentStats(inFlight: 1, firstTokenSeconds: 0.9),
            "c": DeploymentStats(inFlight: 1, firstTokenSeconds: nil),
        ]
        #expect(names(RoutingStrategy.leastBusy.order(deployments, stats: { busy[$0.model]! }, using: &random)) == ["b", "c", "a"])
        // Not measured yet goes first once; then the quickest.
        #expect(names(RoutingStrategy.lowestLatency.order(deployments, stats: { busy[$0.model]! }, using: &random)) == ["c", "a", "b"])
    }

    @Test func anAverageLeansOnRecentRequests() {
        var stats = DeploymentStats()
        stats.measured(1)
        stats.measured(0)
        #expect(stats.firstTokenSeconds == 0.8)
    }
}
