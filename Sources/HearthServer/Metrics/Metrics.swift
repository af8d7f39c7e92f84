import Foundation
import HearthCore
import Synchronization

/// Hearth's Prometheus metrics, rendered in the text exposition format by `GET /metrics`.
public final class Metrics: Sendable {
    /// Upper bounds, in seconds, of the latency histograms' buckets.
    static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

    private struct Histogram {
        var counts = [Int](repeating: 0, count: Metrics.buckets.count)
        var sum = 0.0
        var count = 0

        mutating func observe(_ value: Double) {
            for (index, bound) in Metrics.buckets.enumerated() where value <= bound { counts[index] += 1 }
            sum += value
            count += 1
        }
    }

    private struct State {
        var requests: [String: Int] = [:]  // rendered label set → count
        var latency: [String: Histogram] = [:]
        var timeToFirstToken: [String: Histogram] = [:]
        var promptTokens: [String: Int] = [:]
        var completionTokens: [String: Int] = [:]
        var keyRequests: [String: Int] = [:]
        var keyTokens: [String: Int] = [:]
        var providerAnswers: [String: Int] = [:]
        var providerFailures: [String: Int] = [:]
        var fallbacks: [String: Int] = [:]
        var retries: [String: Int] = [:]
        var deploymentDuration: [String: Histogram] = [:]
        var deploymentFirstToken: [String: Histogram] = [:]
        var cacheLookups: [String: Int] = [:]
    }

    /// Most API keys with labels of their own; requests of further keys count under `other`,
    /// so that the number of series stays bounded whatever the number of keys.
    static let maxKeyLabels = 200

    private let state = Mutex(State())

    public init() {}

    /// Counts one finished HTTP request and its latency.
    public func recordRequest(route: String, method: String, status: Int, seconds: Double) {
        let labels = "method=\"\(method)\",route=\"\(Self.escape(route))\",status=\"\(status)\""
        let routeLabels = "route=\"\(Self.escape(route))\""
        state.withLock {
            $0.requests[labels, default: 0] += 1
            $0.latency[routeLabels, default: Histogram()].observe(seconds)
        }
    }

    /// Records tokens used by one generation or embedding request.
    public func recordTokens(model: String, prompt: Int, completion: Int) {
        let labels = "model=\"\(Self.escape(model))\""
        state.withLock {
            $0.promptTokens[labels, default: 0] += prompt
            $0.completionTokens[labels, default: 0] += completion
        }
    }

    /// Counts one request made with a user's API key (`id` is the key's public id, never its
    /// secret) and the tokens it used.
    public func recordKey(id: String, user: String, promptTokens: Int, completionTokens: Int) {
        state.withLock { state in
            let known = state.keyRequests.keys.contains { $0.hasPrefix("key=\"\(id)\",") }
            let labels =
                known || state.keyRequests.count < Self.maxKeyLabels
                ? "key=\"\(Self.escape(id))\",user=\"\(Self.escape(user))\"" : "key=\"other\",user=\"other\""
            state.keyRequests[labels, default: 0] += 1
            if promptTokens > 0 { state.keyTokens[labels + ",kind=\"prompt\"", default: 0] += promptTokens }
            if completionTokens > 0 { state.keyTokens[labels + ",kind=\"completion\"", default: 0] += completionTokens }
        }
    }

    /// Records where a generation went: the provider that answered (`cache` for a replay), and
    /// the deployments that failed before it with their error codes.
    public func recordRouting(provider: String?, failures: [(provider: String, code: String)]) {
        guard provider != nil || !failures.isEmpty else { return }
        state.withLock { state in
            if let provider { state.providerAnswers["provider=\"\(Self.escape(provider))\"", default: 0] += 1 }
            for failure in failures {
                state.providerFailures[
                    "provider=\"\(Self.escape(failure.provider))\",code=\"\(Self.escape(failure.code))\"", default: 0] += 1
            }
            if provider != nil, !failures.isEmpty { state.fallbacks["", default: 0] += 1 }
        }
    }

    /// Records an answered generation's deployment: how long the whole request took and how
    /// long the deployment took to its first event (when the router measured it), and the
    /// retry rounds it needed.
    public func recordDeployment(_ deployment: RoutingChoice.Deployment, seconds: Double, retries: Int) {
        let labels = "provider=\"\(Self.escape(deployment.provider))\",model=\"\(Self.escape(deployment.model ?? ""))\""
        state.withLock { state in
            state.deploymentDuration[labels, default: Histogram()].observe(seconds)
            if let first = deployment.firstTokenSeconds { state.deploymentFirstToken[labels, default: Histogram()].observe(first) }
            if retries > 0 { state.retries["", default: 0] += retries }
        }
    }

    /// Counts one look into the answer cache (`exact` or `semantic`) and whether it hit.
    public func recordCacheLookup(kind: String, hit: Bool) {
        state.withLock { $0.cacheLookups["kind=\"\(kind)\",result=\"\(hit ? "hit" : "miss")\"", default: 0] += 1 }
    }

    /// Records the time from a request's arrival to its first generated text.
    public func recordTimeToFirstToken(model: String, seconds: Double) {
        let labels = "model=\"\(Self.escape(model))\""
        state.withLock { $0.timeToFirstToken[labels, default: Histogram()].observe(seconds) }
    }

    /// The Prometheus text exposition of every metric; `loaded` gives the engine gauges.
    public func render(loaded: [LoadedModel] = [], circuits: [(provider: String, model: String, state: String)] = []) -> String {
        let snapshot = state.withLock { $0 }
        var out = ""
        func counter(_ name: String, _ help: String, _ values: [String: Int]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
            for (labels, value) in values.sorted(by: { $0.key < $1.key }) { out += "\(name){\(labels)} \(value)\n" }
        }
        func histogram(_ name: String, _ help: String, _ values: [String: Histogram]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
            for (labels, histogram) in values.sorted(by: { $0.key < $1.key }) {
                for (index, bound) in Self.buckets.enumerated() {
                    out += "\(name)_bucket{\(labels),le=\"\(bound)\"} \(histogram.counts[index])\n"
                }
                out += "\(name)_bucket{\(labels),le=\"+Inf\"} \(histogram.count)\n"
                out += "\(name)_sum{\(labels)} \(histogram.sum)\n\(name)_count{\(labels)} \(histogram.count)\n"
            }
        }
        counter("hearth_http_requests_total", "HTTP requests by route and status.", snapshot.requests)
        histogram("hearth_http_request_duration_seconds", "HTTP request latency.", snapshot.latency)
        counter("hearth_prompt_tokens_total", "Prompt tokens processed.", snapshot.promptTokens)
        counter("hearth_completion_tokens_total", "Tokens generated.", snapshot.completionTokens)
        histogram("hearth_time_to_first_token_seconds", "Time from request to first generated text.", snapshot.timeToFirstToken)
        counter("hearth_key_requests_total", "Requests by API key (at most 200 keys, then 'other').", snapshot.keyRequests)
        counter("hearth_key_tokens_total", "Tokens by API key and kind (prompt, completion).", snapshot.keyTokens)
        counter("hearth_provider_answers_total", "Generations by the provider that answered (cache: a replay).", snapshot.providerAnswers)
        counter(
            "hearth_provider_failures_total", "Deployments that failed before their first token, by provider and error code.",
            snapshot.providerFailures)
        counter("hearth_fallbacks_total", "Generations answered after another deployment had failed.", snapshot.fallbacks)
        counter("hearth_retries_total", "Rounds over a model's deployments after the first (its retries).", snapshot.retries)
        histogram(
            "hearth_deployment_request_duration_seconds", "Whole requests answered by each deployment.", snapshot.deploymentDuration)
        histogram(
            "hearth_deployment_first_token_seconds", "Time from asking a routed deployment to its first event.",
            snapshot.deploymentFirstToken)
        counter("hearth_cache_lookups_total", "Answer cache lookups by kind (exact, semantic) and result.", snapshot.cacheLookups)
        out += "# HELP hearth_deployment_circuit Routed deployments' circuits: 1 for the state each is in.\n"
        out += "# TYPE hearth_deployment_circuit gauge\n"
        for circuit in circuits {
            for state in ["closed", "open", "half-open"] {
                out += "hearth_deployment_circuit{provider=\"\(Self.escape(circuit.provider))\",model=\"\(Self.escape(circuit.model))\","
                out += "state=\"\(state)\"} \(circuit.state == state ? 1 : 0)\n"
            }
        }
        func perModel(_ name: String, _ type: String, _ help: String, _ value: (ModelActivity) -> any Numeric) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for model in loaded { out += "\(name){model=\"\(Self.escape(model.name))\"} \(value(model.activity))\n" }
        }
        func gauge(_ name: String, _ help: String, _ value: (ModelActivity) -> any Numeric) { perModel(name, "gauge", help, value) }
        func engineCounter(_ name: String, _ help: String, _ value: (ModelActivity) -> Int) { perModel(name, "counter", help, value) }
        gauge("hearth_active_sequences", "Sequences generating now.") { $0.activeSequences }
        gauge("hearth_queued_requests", "Requests waiting for a free sequence.") { $0.queuedRequests }
        gauge("hearth_parallel_sequences", "Sequences a loaded model serves at once.") { $0.parallel }
        gauge("hearth_context_per_sequence", "Context size of each sequence, in tokens.") { $0.contextPerSequence }
        gauge("hearth_prompt_tokens_per_second", "Prompt tokens evaluated per second, last 10 s.") { $0.promptTokensPerSecond }
        gauge("hearth_generation_tokens_per_second", "Tokens generated per second by all sequences, last 10 s.") {
            $0.generationTokensPerSecond
        }
        gauge("hearth_prompt_cache_hit_ratio", "Share of prompt tokens found in the KV cache.") {
            $0.promptTokens == 0 ? 0 : Double($0.promptTokensCached) / Double($0.promptTokens)
        }
        engineCounter("hearth_engine_prompt_tokens_total", "Prompt tokens of admitted requests.") { $0.promptTokens }
        engineCounter("hearth_prompt_cache_tokens_total", "Prompt tokens reused from the KV cache.") { $0.promptTokensCached }
        engineCounter("hearth_decode_steps_total", "Batched decode steps.") { $0.decodeSteps }
        engineCounter("hearth_draft_tokens_total", "Tokens guessed by prompt lookup and checked in a decode step.") { $0.draftTokens }
        engineCounter("hearth_draft_tokens_accepted_total", "Guessed tokens the model wrote too.") { $0.draftTokensAccepted }
        out += "# HELP hearth_batch_size_tokens Tokens per decode step.\n# TYPE hearth_batch_size_tokens histogram\n"
        for model in loaded {
            let labels = "model=\"\(Self.escape(model.name))\""
            var cumulative = 0
            for (index, bound) in ModelActivity.batchBuckets.enumerated() {
                cumulative += model.activity.batchSizeCounts[index]
                out += "hearth_batch_size_tokens_bucket{\(labels),le=\"\(bound)\"} \(cumulative)\n"
            }
            out += "hearth_batch_size_tokens_bucket{\(labels),le=\"+Inf\"} \(model.activity.decodeSteps)\n"
            out += "hearth_batch_size_tokens_sum{\(labels)} \(model.activity.batchTokens)\n"
            out += "hearth_batch_size_tokens_count{\(labels)} \(model.activity.decodeSteps)\n"
        }
        return out
    }

    /// `value` as a Prometheus label value; most need no escaping, and are returned as they are
    /// (Foundation's replacing is slow on Linux, and this runs for every request).
    private static func escape(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else {
            return value
        }
        return value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
