import Foundation

/// The order in which a model's deployments are tried: the first answers unless it fails
/// before its first token, then the next, as with `priority`.
public enum RoutingStrategy: String, Sendable, Decodable, CaseIterable {
    /// As configured.
    case priority
    /// At random in proportion to each deployment's `weight` (the others follow, drawn likewise).
    case weighted
    /// The deployment with the fewest requests in flight from this server first.
    case leastBusy = "least-busy"
    /// The deployment whose first tokens came soonest lately first (an average over recent
    /// requests); one not measured yet goes first once, to be measured.
    case lowestLatency = "lowest-latency"

    /// `deployments` in the order to try them.
    func order(
        _ deployments: [ProviderRouter.Deployment], stats: (ProviderRouter.Deployment) -> DeploymentStats,
        using random: inout some RandomNumberGenerator
    ) -> [ProviderRouter.Deployment] {
        switch self {
        case .priority:
            return deployments
        case .weighted:
            var left = deployments
            var ordered: [ProviderRouter.Deployment] = []
            while !left.isEmpty {
                let total = left.reduce(0) { $0 + max($1.weight, 0) }
                guard total > 0 else { return ordered + left }
                var draw = Double.random(in: 0..<total, using: &random)
                let index =
                    left.firstIndex { deployment in
                        draw -= max(deployment.weight, 0)
                        return draw < 0
                    } ?? left.count - 1
                ordered.append(left.remove(at: index))
            }
            return ordered
        case .leastBusy:
            return stableSorted(deployments) { stats($0).inFlight < stats($1).inFlight }
        case .lowestLatency:
            return stableSorted(deployments) { (stats($0).firstTokenSeconds ?? -1) < (stats($1).firstTokenSeconds ?? -1) }
        }
    }

    private func stableSorted(
        _ deployments: [ProviderRouter.Deployment], by less: (ProviderRouter.Deployment, ProviderRouter.Deployment) -> Bool
    ) -> [ProviderRouter.Deployment] {
        deployments.enumerated().sorted { a, b in less(a.element, b.element) || (!less(b.element, a.element) && a.offset < b.offset) }
            .map(\.element)
    }
}

/// What the router has seen of one deployment.
public struct DeploymentStats: Sendable, Equatable {
    /// Requests it serves now.
    public var inFlight = 0
    /// Seconds to the first token, averaged with recent requests weighing most; nil until one came.
    public var firstTokenSeconds: Double?

    /// Adds a measurement: each new one counts for a fifth.
    mutating func measured(_ seconds: Double) {
        firstTokenSeconds = firstTokenSeconds.map { $0 * 0.8 + seconds * 0.2 } ?? seconds
    }
}
