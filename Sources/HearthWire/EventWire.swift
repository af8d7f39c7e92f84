import Foundation
import HearthCore

/// Events on the wire: `GET /hearth/events` sends one server-sent event per `HearthEvent`, as
/// `data: {"type": "request"|"stats"|"model"|"ingestion", "time": UNIX_SECONDS, "data": {…}}`;
/// `/hearth/ws` sends the same object inside `{"type": "event", "event": …}`.
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

    /// A model loaded, failed to load or unloaded: `data` of a `model` event.
    public struct Model: Codable, Sendable, Equatable {
        public var name: String
        /// `loaded`, `failed` or `unloaded`.
        public var action: String
        public var memoryBytes: Int64
        public var loadMs: Double?
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case name, action, error
            case memoryBytes = "memory_bytes", loadMs = "load_ms"
        }

        public init(_ change: ModelChange) {
            name = change.name
            action = change.action.rawValue
            memoryBytes = change.memoryBytes
            loadMs = change.seconds.map { ($0 * 10_000).rounded() / 10 }
            error = change.error
        }
    }

    /// Where an ingestion stands: `data` of an `ingestion` event.
    public struct Ingestion: Codable, Sendable, Equatable {
        public var collection: String
        public var job: Int64?
        public var fileID: String?
        public var filename: String?
        /// `in_progress`, `completed` or `failed`.
        public var status: String
        public var filesDone: Int
        public var filesTotal: Int
        public var chunks: Int
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case collection, job, filename, status, chunks, error
            case fileID = "file_id", filesDone = "files_done", filesTotal = "files_total"
        }

        public init(_ progress: IngestionProgress) {
            collection = progress.collection
            job = progress.job
            fileID = progress.fileID
            filename = progress.filename
            status = progress.status.rawValue
            filesDone = progress.filesDone
            filesTotal = progress.filesTotal
            chunks = progress.chunks
            error = progress.error
        }
    }

    /// `GET /hearth/stats/history`: the last hour of each model's activity, in buckets of
    /// `interval` seconds (the most of each figure within one).
    public struct History: Codable, Sendable {
        public struct Sample: Codable, Sendable {
            public var time: Double
            public var tokensPerSecond: Double
            public var activeSequences: Int
            public var queuedRequests: Int

            enum CodingKeys: String, CodingKey {
                case time
                case tokensPerSecond = "tokens_per_second", activeSequences = "active_sequences", queuedRequests = "queued_requests"
            }
        }

        public struct Model: Codable, Sendable {
            public var name: String
            public var samples: [Sample]
        }

        public var interval: Double
        public var models: [Model]

        public init(_ series: [String: [StatsHistory.Sample]]) {
            interval = StatsHistory.bucket
            models = series.keys.sorted().map { name in
                Model(
                    name: name,
                    samples: series[name]!.map {
                        Sample(
                            time: $0.time.timeIntervalSince1970, tokensPerSecond: ($0.tokensPerSecond * 10).rounded() / 10,
                            activeSequences: $0.activeSequences, queuedRequests: $0.queuedRequests)
                    })
            }
        }
    }

    struct Envelope<Data: Encodable>: Encodable {
        var type: String
        var time: Double
        var data: Data
    }

    private struct Received<Data: Decodable>: Decodable {
        var type: String
        var time: Double
        var data: Data
    }

    private struct Kind: Decodable {
        var type: String
    }

    /// The event `json` (as `json(_:)` writes it) that happened on the replica `origin`:
    /// requests, model changes and ingestions; nil for another kind (each replica's `stats`
    /// are its own) or JSON that is no event.
    public static func event(_ json: Foundation.Data, ownerID: Int64?, origin: String) -> HearthEvent? {
        let decoder = JSONDecoder()
        guard let kind = try? decoder.decode(Kind.self, from: json) else { return nil }
        func received<T: Decodable>(_ type: T.Type) -> (T, Date)? {
            (try? decoder.decode(Received<T>.self, from: json)).map { ($0.data, Date(timeIntervalSince1970: $0.time)) }
        }
        let body: HearthEvent.Body
        let time: Date
        switch kind.type {
        case "request":
            guard let (request, at) = received(Request.self) else { return nil }
            body = .request(
                RequestSummary(
                    id: request.id, method: request.method, route: request.route, status: request.status,
                    milliseconds: request.latencyMs, model: request.model, promptTokens: request.promptTokens,
                    completionTokens: request.completionTokens, user: request.user, provider: request.provider,
                    firstTokenMilliseconds: request.firstTokenMs))
            time = at
        case "model":
            guard let (model, at) = received(Model.self), let action = ModelChange.Action(rawValue: model.action) else { return nil }
            body = .model(
                ModelChange(
                    name: model.name, action: action, memoryBytes: model.memoryBytes, seconds: model.loadMs.map { $0 / 1000 },
                    error: model.error))
            time = at
        case "ingestion":
            guard let (ingestion, at) = received(Ingestion.self), let status = IngestionProgress.Status(rawValue: ingestion.status)
            else { return nil }
            body = .ingestion(
                IngestionProgress(
                    collection: ingestion.collection, job: ingestion.job, fileID: ingestion.fileID, filename: ingestion.filename,
                    status: status, filesDone: ingestion.filesDone, filesTotal: ingestion.filesTotal, chunks: ingestion.chunks,
                    error: ingestion.error))
            time = at
        default:
            return nil
        }
        return HearthEvent(body, ownerID: ownerID, time: time, origin: origin)
    }

    /// `event` as one server-sent event (`data: …` and a blank line).
    public static func sse(_ event: HearthEvent) throws -> String {
        "data: " + (try json(event)) + "\n\n"
    }

    /// `event` as JSON: `{"type": TOPIC, "time": UNIX_SECONDS, "data": {…}}`.
    public static func json(_ event: HearthEvent) throws -> String {
        let time = (event.time.timeIntervalSince1970 * 1000).rounded() / 1000
        let encoder = JSONEncoder()
        let json: Foundation.Data
        switch event.body {
        case .request(let summary):
            json = try encoder.encode(Envelope(type: event.topic, time: time, data: Request(summary)))
        case .stats(let models):
            json = try encoder.encode(Envelope(type: event.topic, time: time, data: Stats(models: models.map(HearthStatus.Model.init))))
        case .model(let change):
            json = try encoder.encode(Envelope(type: event.topic, time: time, data: Model(change)))
        case .ingestion(let progress):
            json = try encoder.encode(Envelope(type: event.topic, time: time, data: Ingestion(progress)))
        }
        return String(decoding: json, as: UTF8.self)
    }
}
