import HearthCore
import Synchronization

/// What one request did, filled in by the code that serves it (who asked, the model it used,
/// the tokens it read and wrote), logged and accounted by `RequestLogMiddleware` when its
/// answer ends.
final class RequestRecord: Sendable {
    struct Values: Sendable {
        var model: String?
        var usage: Usage?
        var principal: Principal?
        /// Seconds from the start of the generation to its first text.
        var firstToken: Double?
    }

    /// The record of the request the current task serves, if any.
    @TaskLocal static var current: RequestRecord?

    private let values = Mutex(Values())

    var snapshot: Values { values.withLock { $0 } }

    func record(model: String) { values.withLock { $0.model = model } }
    func record(usage: Usage) { values.withLock { $0.usage = usage } }
    func record(principal: Principal) { values.withLock { $0.principal = principal } }
    func record(firstToken seconds: Double) { values.withLock { $0.firstToken = seconds } }
}

extension Metrics {
    /// Counts an embedding request's tokens, in the metrics and in its log line and usage record.
    func recordEmbedding(model: String, promptTokens: Int) {
        recordTokens(model: model, prompt: promptTokens, completion: 0)
        RequestRecord.current?.record(model: model)
        RequestRecord.current?.record(usage: Usage(promptTokens: promptTokens, completionTokens: 0))
    }
}
