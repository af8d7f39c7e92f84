import Foundation
import HearthCore
import Synchronization

/// What a gateway knows of the workers: their last announcements (forgotten when one is
/// `forgetAfter` old, or the worker says it leaves or was found gone) and the requests this
/// gateway has sent each; and where the next request for a model goes.
public final class WorkerRegistry: Sendable {
    /// A worker that serves a model, as the choice sees it.
    public struct Candidate: Sendable, Equatable {
        public var worker: String
        public var slots: Int
        /// Requests it has for the model: those this gateway has running there, and those of
        /// other gateways as of its last announcement.
        public var busy: Int
        public var prefixes: Set<UInt64>

        public init(worker: String, slots: Int, busy: Int, prefixes: Set<UInt64> = []) {
            self.worker = worker
            self.slots = slots
            self.busy = busy
            self.prefixes = prefixes
        }
    }

    private struct Known {
        var announcement: Announcement
        var heard: ContinuousClock.Instant
        var prefixes: [String: Set<UInt64>]
        /// Per model, the requests it had that this gateway did not send (other gateways'),
        /// when it announced: added to what this gateway has running there now, which is
        /// exact, where the announcement is up to a second old.
        var others: [String: Int]
    }

    private struct State {
        var known: [String: Known] = [:]
        /// Requests this gateway has running on each worker, by model.
        var sent: [String: [String: Int]] = [:]
        /// The prefix keys of the last answers this gateway relayed from each worker, by
        /// model (the worker announces them too, but up to a second later).
        var relayed: [String: [String: [[UInt64]]]] = [:]
    }

    private let state = Mutex(State())
    let forgetAfter: Duration

    public init(forgetAfter: Duration = .milliseconds(3_500)) {
        self.forgetAfter = forgetAfter
    }

    public func heard(_ announcement: Announcement, at now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            if announcement.leaving {
                state.known.removeValue(forKey: announcement.worker)
                return
            }
            let prefixes = Dictionary(announcement.models.map { ($0.name, Set($0.prefixes)) }) { a, _ in a }
            let sent = state.sent[announcement.worker] ?? [:]
            let others = Dictionary(announcement.models.map { ($0.name, max(0, $0.busy - (sent[$0.name] ?? 0))) }) { a, _ in a }
            state.known[announcement.worker] = Known(announcement: announcement, heard: now, prefixes: prefixes, others: others)
        }
    }

    /// `worker` was found gone (it stopped answering): no more requests go to it until it
    /// announces itself again.
    public func forget(_ worker: String) {
        state.withLock { state in
            state.known.removeValue(forKey: worker)
            state.relayed.removeValue(forKey: worker)
        }
    }

    /// `worker` answered a request of `model` and now holds `keys` (`PrefixKeys.after`).
    /// As many answers are kept as the worker has sequences for the model.
    public func relayed(_ worker: String, model: String, keys: [UInt64]) {
        state.withLock { state in
            let slots = state.known[worker]?.announcement.models.first { $0.name == model }?.slots ?? 1
            var recent = state.relayed[worker]?[model] ?? []
            recent.append(keys)
            state.relayed[worker, default: [:]][model] = Array(recent.suffix(max(1, slots)))
        }
    }

    public func started(_ worker: String, model: String) { state.withLock { $0.sent[worker, default: [:]][model, default: 0] += 1 } }

    public func ended(_ worker: String, model: String) { state.withLock { $0.sent[worker, default: [:]][model, default: 1] -= 1 } }

    /// The workers heard from lately that serve `model`.
    public func candidates(for model: String, at now: ContinuousClock.Instant = .now) -> [Candidate] {
        state.withLock { state in
            state.known.values.filter { now - $0.heard < forgetAfter }.compactMap { known in
                guard let served = known.announcement.models.first(where: { $0.name == model }) else { return nil }
                let worker = known.announcement.worker
                return Candidate(
                    worker: worker, slots: served.slots, busy: (state.sent[worker]?[model] ?? 0) + (known.others[model] ?? 0),
                    prefixes: (known.prefixes[model] ?? []).union((state.relayed[worker]?[model] ?? []).joined()))
            }.sorted { $0.worker < $1.worker }
        }
    }

    /// Every model some worker heard from lately serves.
    public func models(at now: ContinuousClock.Instant = .now) -> [String] {
        state.withLock { state in
            Set(state.known.values.filter { now - $0.heard < forgetAfter }.flatMap { $0.announcement.models.map(\.name) }).sorted()
        }
    }

    /// The workers heard from lately, with what they announced.
    public func workers(at now: ContinuousClock.Instant = .now) -> [Announcement] {
        state.withLock { state in
            state.known.values.filter { now - $0.heard < forgetAfter }.map(\.announcement).sorted { $0.worker < $1.worker }
        }
    }

    /// Where a request with `prefixes` goes among `candidates` (none of `excluded`): the
    /// worker with a free sequence that holds the longest prefix of it; among equals the least
    /// busy, then any. When none has a free sequence, the least busy (it queues the request).
    /// Nil when there is none.
    public static func choose(
        among candidates: [Candidate], for prefixes: [PrefixKeys.Prefix], excluding excluded: Set<String> = [],
        using random: inout some RandomNumberGenerator
    ) -> Candidate? {
        let open = candidates.filter { !excluded.contains($0.worker) }.shuffled(using: &random)
        let free = open.filter { $0.busy < $0.slots }
        if free.isEmpty { return open.min { $0.busy - $0.slots < $1.busy - $1.slots } }
        let scored = free.map { (candidate: $0, matched: PrefixKeys.matched(prefixes, in: $0.prefixes)) }
        return scored.min { a, b in
            if a.matched != b.matched { return a.matched > b.matched }
            return a.candidate.busy * b.candidate.slots < b.candidate.busy * a.candidate.slots
        }?.candidate
    }
}
