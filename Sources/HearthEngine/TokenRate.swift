import Foundation
import HearthCore

/// Tokens per second over a sliding window, fed by the batch loop after each step.
struct TokenRate {
    private var samples: [(time: Double, prompt: Int, generated: Int)] = []

    mutating func add(prompt: Int, generated: Int, at time: Double) {
        samples.append((time, prompt, generated))
        samples.removeAll { time - $0.time > ModelActivity.rateWindow }
    }

    func rates(at time: Double) -> (prompt: Double, generated: Double) {
        let recent = samples.filter { time - $0.time <= ModelActivity.rateWindow }
        guard let first = recent.first else { return (0, 0) }
        let span = max(time - first.time, 1)
        return (Double(recent.reduce(0) { $0 + $1.prompt }) / span, Double(recent.reduce(0) { $0 + $1.generated }) / span)
    }
}
