import Foundation
import HearthCore

/// `GET /hearth/events`: one server-sent event per `HearthEvent`, as
/// `data: {"type": "request"|"stats", "time": UNIX_SECONDS, "data": {…}}`.
public enum EventWire {
    /// A request answered: `data` of a `request` event.
    public struct Request: Codable, Sendable, Equatable {
        public var id: String
        public var method: String
        public var route: String
        public var status: Int
        public var latencyMs: Double
        public var model: String?
        public var promptTokens: Int
        public var completionTokens: Int
        public var user: String
        public var provider: String?
        /// Milliseconds to the first text of a generation.
        public var firstTokenMs: Double?

        enum CodingKeys: String, CodingKey {
            case id, method, route, status, model, user, provider
            case latencyMs = "latency_ms", promptTokens = "prompt_tokens", completionTokens = "completion_tokens"
            case firstTokenMs = "first_token_ms"
        }

        public init(_ summary: RequestSummary) {
            id = summary.id
            method = summary.method
            route = summary.route
            status = summary.status
            latencyMs = (summary.milliseconds * 10).rounded() / 10
            model = summary.model
            promptTokens = summary.promptTokens
            completionTokens = summary.completionTokens
            user = summary.user
            provider = summary.provider
            firstTokenMs = summary.firstTokenMilliseconds.map { ($0 * 10).rounded() / 10 }
        }
    }

    /// What the loaded models are doing: `data` of a `stats` event (the models as in
    /// `/hearth/status`).
    public struct Stats: Codable, Sendable, Equatable {
        public var models: [HearthStatus.Model]
    }

    struct Envelope<Data: Encodable>: Encodable {
        var type: String
        var time: Double
        var data: Data
    }

    /// `event` as one server-sent event (`data: …` and a blank line).
    public static func sse(_ event: HearthEvent) throws -> String {
        let time = (event.time.timeIntervalSince1970 * 1000).rounded() / 1000
        let json: Foundation.Data
        switch event.body {
        case .request(let summary):
            json = try JSONEncoder().encode(Envelope(type: event.topic, time: time, data: Request(summary)))
        case .stats(let models):
            json = try JSONEncoder().encode(
                Envelope(type: event.topic, time: time, data: Stats(models: models.map(HearthStatus.Model.init))))
        }
        return "data: " + String(decoding: json, as: UTF8.self) + "\n\n"
    }
}
