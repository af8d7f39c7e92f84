import Foundation
import HearthCore
import HearthWire
import Hummingbird
import NIOCore
import Synchronization

/// A generation whose first event has already arrived, so that failures before any text
/// (unknown model, prompt too long) become proper HTTP errors instead of a broken stream.
final class Generation: Sendable {
    /// What adapters turn into wire events.
    enum Event {
        case start
        case text(String)
        /// The answer's `index`th tool call, whole.
        case toolCall(Int, ToolCall)
        case done(FinishReason, Usage)
    }

    /// A whole answer.
    struct Answer {
        var text = ""
        var toolCalls: [ToolCall] = []
        var reason = FinishReason.stop
        var usage = Usage(promptTokens: 0, completionTokens: 0)
    }

    private let events: StartedStream<TokenEvent>
    private let model: String
    private let metrics: Metrics
    private let started: ContinuousClock.Instant
    /// The request's record, for its log line.
    private let record = RequestRecord.current
    private let firstText = Mutex<ContinuousClock.Instant?>(nil)

    /// Starts the generation `start` makes and waits for its first event.
    /// - Throws: what `start` throws, or the stream's error before any event.
    static func start(
        model: String, metrics: Metrics, _ start: () async throws -> AsyncThrowingStream<TokenEvent, any Error>
    ) async throws -> Generation {
        let started = ContinuousClock.now
        return Generation(events: try await StartedStream(try await start()), model: model, metrics: metrics, started: started)
    }

    private func next(_ isFirst: Bool) async throws -> TokenEvent? {
        let event = isFirst ? events.first : try await events.next()
        switch event {
        case .text where isFirst:
            firstText.withLock { $0 = .now }
            let seconds = (ContinuousClock.now - started).seconds
            metrics.recordTimeToFirstToken(model: model, seconds: seconds)
            record?.record(firstToken: seconds)
        case .done(_, let usage):
            metrics.recordTokens(model: model, prompt: usage.promptTokens, completion: usage.completionTokens)
            record?.record(usage: usage)
        default: break
        }
        return event
    }

    /// How long it took so far: in all, reading the prompt (until the first text), generating.
    var timings: Ollama.Timings {
        let now = ContinuousClock.now
        let first = firstText.withLock { $0 } ?? now
        return Ollama.Timings(total: now - started, promptEval: first - started, eval: now - first)
    }

    /// Waits for the whole answer; cancelled as soon as the client of `context` goes away.
    func collect(for context: HearthRequestContext) async throws -> Answer {
        try await ClientWatcher.cancellingOnDisconnect(context.channel) { try await self.collect() }
    }

    /// Waits for the whole answer.
    func collect() async throws -> Answer {
        var answer = Answer()
        var isFirst = true
        while let event = try await next(isFirst) {
            isFirst = false
            switch event {
            case .text(let piece): answer.text += piece
            case .toolCall(let call): answer.toolCalls.append(call)
            case .done(let reason, let usage):
                (answer.reason, answer.usage) = (reason, usage)
                return answer
            }
        }
        throw HearthError(.internalError, "the generation ended without finishing")
    }

    /// A `text/event-stream` response; `encode` turns each event into SSE blocks. Ends with
    /// `data: [DONE]`; an error after the start is sent as an error event. A client that goes
    /// away makes the next write fail, which ends the generation.
    func sse(_ encode: @escaping @Sendable (Event) throws -> [String]) -> Response {
        stream(
            contentType: "text/event-stream", encode: encode,
            failure: { [(try? ServerSentEvents.event(APIError($0).body)) ?? ""] }, end: [ServerSentEvents.done])
    }

    /// An `application/x-ndjson` response (Ollama's streaming): one JSON object a line, an
    /// error after the start as an `{"error": …}` line.
    func ndjson(_ encode: @escaping @Sendable (Event) throws -> [String]) -> Response {
        stream(
            contentType: Ollama.streamContentType, encode: encode,
            failure: { [(try? Ollama.line(Ollama.ErrorBody(APIError($0).message))) ?? ""] }, end: [])
    }

    private init(events: StartedStream<TokenEvent>, model: String, metrics: Metrics, started: ContinuousClock.Instant) {
        self.events = events
        self.model = model
        self.metrics = metrics
        self.started = started
        record?.record(model: model)
    }

    private func stream(
        contentType: String, encode: @escaping @Sendable (Event) throws -> [String],
        failure: @escaping @Sendable (any Error) -> [String], end: [String]
    ) -> Response {
        let headers: HTTPFields = [.contentType: contentType, .cacheControl: "no-cache"]
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                func send(_ blocks: [String]) async throws {
                    for block in blocks { try await writer.write(ByteBuffer(string: block)) }
                }
                do {
                    try await send(encode(.start))
                    var isFirst = true
                    var calls = 0
                    while let event = try await self.next(isFirst) {
                        isFirst = false
                        switch event {
                        case .text(let text): try await send(encode(.text(text)))
                        case .toolCall(let call):
                            try await send(encode(.toolCall(calls, call)))
                            calls += 1
                        case .done(let reason, let usage): try await send(encode(.done(reason, usage)))
                        }
                    }
                } catch {
                    try? await send(failure(error))
                }
                try await send(end)
                try await writer.finish(nil)
            })
    }
}
