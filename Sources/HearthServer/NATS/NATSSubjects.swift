import Foundation
import HearthCore
import HearthNATS
import HearthServices
import HearthWire
import Logging

/// What a replica does on NATS (`HEARTH_NATS_URL`):
///
/// - `ai.llm.request` and `ai.llm.embed` (Neuralux's subjects) answer requests in OpenAI's
///   shapes: a chat completion request (`messages`, `model`, `max_tokens`, …; never streamed)
///   is answered by a chat completion, an embeddings request (`input`, `model`) by an
///   embeddings list; a failure by OpenAI's `{"error": {…}}` with the HTTP status in the
///   header `Hearth-Status`. Replicas answer in the queue group `hearth`: each request once.
///   Whoever may publish on these subjects may use every model (but no user's collections or
///   data): guard them with NATS's permissions.
/// - Every event of the replica's bus goes to `hearth.events.TOPIC` (request, stats, model,
///   ingestion) as `/hearth/events` shows it, with `Hearth-Replica` naming the replica; when
///   the server has JetStream, the stream `HEARTH_EVENTS` keeps the last hour of them. The
///   other replicas' requests, model changes and ingestions come back into this one's bus,
///   so `/hearth/events` on any replica shows them all (each replica's `stats` stay its own).
public struct NATSSubjects: Sendable {
    let nats: NATSClient
    let chat: ChatService
    let events: any EventBus
    let replica: String
    let logger: Logger

    /// Who a NATS request is: no user and no rights beyond using models (NATS's own
    /// permissions say who may publish); so no user's collections, conversations or data.
    static let principal = Principal.anonymous

    public static let requestSubject = "ai.llm.request"
    public static let embedSubject = "ai.llm.embed"
    public static let queue = "hearth"

    public init(nats: NATSClient, chat: ChatService, events: any EventBus, logger: Logger) {
        self.nats = nats
        self.chat = chat
        self.events = events
        self.replica = randomID()
        self.logger = logger
    }

    /// The JetStream stream that keeps the events a while, for consumers that were away.
    public static let eventStream = "HEARTH_EVENTS"

    /// Makes sure JetStream keeps `hearth.events.>` (the last hour, 64 MiB at most) in the
    /// stream `HEARTH_EVENTS`, when the server has JetStream; events are published either way.
    func keepEvents() async {
        let config: [String: Any] = [
            "name": Self.eventStream, "subjects": ["hearth.events.>"], "retention": "limits", "storage": "file",
            "discard": "old", "max_age": 3_600 * 1_000_000_000, "max_bytes": 64 << 20, "num_replicas": 1,
        ]
        guard let body = try? JSONSerialization.data(withJSONObject: config) else { return }
        for action in ["CREATE", "UPDATE"] {
            do {
                let answer = try await nats.request(Array(body), to: "$JS.API.STREAM.\(action).\(Self.eventStream)", timeout: .seconds(5))
                let reply = try? JSONSerialization.jsonObject(with: Data(answer.payload)) as? [String: Any]
                guard let error = reply?["error"] as? [String: Any] else { return }
                // 10058: the stream exists with another configuration: update it.
                if action == "CREATE", error["err_code"] as? Int == 10058 { continue }
                logger.warning("JetStream keeps no events", metadata: ["error": "\(error["description"] ?? error)"])
                return
            } catch {
                logger.info("NATS has no JetStream: events are published, not kept", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    /// Answers requests and publishes events until cancelled.
    public func run() async {
        await keepEvents()
        // Fixed, valid subjects: subscribing cannot fail.
        let requests = (try? nats.subscribe(to: Self.requestSubject, queue: Self.queue).messages) ?? AsyncStream { $0.finish() }
        let embeddings = (try? nats.subscribe(to: Self.embedSubject, queue: Self.queue).messages) ?? AsyncStream { $0.finish() }
        let local = events.subscribe()
        let others = (try? nats.subscribe(to: "hearth.events.>").messages) ?? AsyncStream { $0.finish() }
        // The subscriptions are made again whenever the connection comes back.
        try? await nats.flush()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await answer(requests, with: complete) }
            group.addTask { await answer(embeddings, with: embed) }
            group.addTask {
                for await event in local where event.origin == nil {
                    guard let json = try? EventWire.json(event) else { continue }
                    var headers = [(name: "Hearth-Replica", value: replica)]
                    if let owner = event.ownerID { headers.append((name: "Hearth-Owner", value: String(owner))) }
                    // Away, the event is lost: events are news, not records.
                    try? nats.publish(Array(json.utf8), to: "hearth.events." + event.topic, headers: headers)
                }
            }
            group.addTask {
                // The other replicas' events, for this one's `/hearth/events`, to their owners.
                for await message in others {
                    guard let origin = message.header("Hearth-Replica"), origin != replica,
                        let event = EventWire.event(
                            Data(message.payload), ownerID: message.header("Hearth-Owner").flatMap { Int64($0) }, origin: origin)
                    else { continue }
                    events.publish(event)
                }
            }
        }
    }

    /// Answers each message of `messages` with `work`, each in a task of its own.
    private func answer(_ messages: AsyncStream<NATSMessage>, with work: @escaping @Sendable ([UInt8]) async throws -> Data) async {
        await withTaskGroup(of: Void.self) { group in
            for await message in messages {
                group.addTask {
                    var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
                    let body: Data
                    do {
                        body = try await work(message.payload)
                        headers.append(("Hearth-Status", "200"))
                    } catch {
                        let failure = APIError(error)
                        headers.append(("Hearth-Status", String(failure.status.code)))
                        body = (try? JSONEncoder().encode(failure.body)) ?? Data()
                        if failure.status.code >= 500 {
                            logger.warning("a NATS request failed", metadata: ["subject": "\(message.subject)", "error": "\(error)"])
                        }
                    }
                    try? nats.reply(to: message, with: Array(body), headers: headers)
                }
            }
        }
    }

    /// A chat completion for the OpenAI request in `payload`.
    @Sendable func complete(_ payload: [UInt8]) async throws -> Data {
        let wire = try WireDecoder.decode(OpenAI.ChatCompletionRequest.self, from: Data(payload))
        let native = canonical(try wire.native(defaultModel: chat.defaultModel))
        let started = try await chat.start(native, collections: wire.collections ?? [], by: Self.principal)
        var text = ""
        var calls: [ToolCall] = []
        var end: (FinishReason, Usage)?
        for try await event in started.events {
            switch event {
            case .text(let piece): text += piece
            case .toolCall(let call): calls.append(call)
            case .done(let reason, let usage): end = (reason, usage)
            }
        }
        guard let (reason, usage) = end else { throw HearthError(.internalError, "the generation ended without an end") }
        return try JSONEncoder().encode(
            OpenAI.ChatCompletion(
                id: "chatcmpl-" + randomID(), created: Int(Date().timeIntervalSince1970), model: native.model, text: text,
                toolCalls: calls, finishReason: reason, usage: usage, sources: started.sources))
    }

    /// The embeddings for the OpenAI request in `payload`.
    @Sendable func embed(_ payload: [UInt8]) async throws -> Data {
        let wire = try WireDecoder.decode(OpenAI.EmbeddingRequest.self, from: Data(payload))
        let native = canonical(try wire.native(defaultModel: chat.defaultEmbeddingModel))
        let result = try await chat.embed(native, by: Self.principal)
        return try JSONEncoder().encode(OpenAI.EmbeddingList(model: native.model, result: result, base64: wire.encodingFormat == "base64"))
    }
}
