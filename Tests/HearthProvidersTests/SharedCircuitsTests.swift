import Foundation
import HearthCore
import HearthTesting
import Synchronization
import Testing

@testable import HearthProviders

/// Circuits shared in memory, told to every follower at once: what Redis does for replicas.
final class MemoryCircuits: SharedCircuits {
    private let state = Mutex<(open: [String: Date], followers: [@Sendable ([String: Date]) -> Void])>(([:], []))

    func opened(_ key: String, until: Date) async { change { $0[key] = until } }
    func closed(_ key: String) async { change { $0[key] = nil } }

    func follow(_ apply: @escaping @Sendable ([String: Date]) -> Void) async throws {
        let open = state.withLock { state in
            state.followers.append(apply)
            return state.open
        }
        apply(open)
    }

    private func change(_ body: (inout [String: Date]) -> Void) {
        let (open, followers) = state.withLock { state in
            body(&state.open)
            return (state.open, state.followers)
        }
        for follower in followers { follower(open) }
    }
}

/// Two routers (two replicas) sharing their circuits.
struct SharedCircuitsTests {
    static func until(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition() {
            try #require(ContinuousClock.now < deadline, "waited 30 s")
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test func aDeploymentOneReplicaFindsFailingIsSparedByTheOther() async throws {
        let failing = ScriptedProvider(model: "down:test", failure: HearthError(.unavailable, "down"))
        let working = ScriptedProvider(model: "up:test")
        let routes = [
            "team": [ProviderRouter.Deployment(provider: failing, model: "down:test"), .init(provider: working, model: "up:test")]
        ]
        let shared = MemoryCircuits()
        // A long cooldown: on a loaded machine the news may take seconds to arrive, and a
        // circuit whose time has passed is not adopted.
        let breaker = CircuitBreaker(threshold: 3, cooldown: 600)
        let (one, other) = (
            ProviderRouter(providers: [], routes: routes, breaker: breaker, circuits: shared),
            ProviderRouter(providers: [], routes: routes, breaker: breaker, circuits: shared)
        )
        try await other.followSharedCircuits()
        let request = GenerationRequest(model: "team", prompt: .text("Hi"))
        for _ in 0..<3 {
            for try await _ in try await one.generate(request) {}
        }
        #expect(failing.requests.count == 3)
        // The other replica has never asked the failing deployment, and now will not.
        try await Self.until {
            if case .open = other.circuits["scripted/down:test"] { return true }
            return false
        }
        for try await _ in try await other.generate(request) {}
        #expect(failing.requests.count == 3)
        #expect(working.requests.count == 4)
        // Closed on one (its probe answered), closed on the other.
        await shared.closed("scripted/down:test")
        try await Self.until { other.circuits["scripted/down:test"] == .closed(failures: 0) }
        for try await _ in try await other.generate(request) {}
        #expect(failing.requests.count == 4)
    }
}
