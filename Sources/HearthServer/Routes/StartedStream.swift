import HearthWire
import Hummingbird
import Logging
import NIOCore

/// A stream whose first element has already arrived, so that failures before it (unknown
/// model, invalid paths) become real HTTP errors instead of a stream that breaks at once.
struct StartedStream<Element: Sendable>: Sendable {
    let first: Element?
    private let rest: Box

    /// The iterator, moved into the response writer once.
    private final class Box: @unchecked Sendable {
        var iterator: AsyncThrowingStream<Element, any Error>.AsyncIterator
        init(_ iterator: AsyncThrowingStream<Element, any Error>.AsyncIterator) { self.iterator = iterator }
    }

    /// Waits for the stream's first element.
    /// - Throws: the stream's error when it fails before any element.
    init(_ elements: AsyncThrowingStream<Element, any Error>) async throws {
        var iterator = elements.makeAsyncIterator()
        first = try await iterator.next()
        rest = Box(iterator)
    }

    /// The elements after the first.
    func next() async throws -> Element? {
        try await rest.iterator.next()
    }

    /// A `text/event-stream` response: `event` encodes each element as one event, ended by
    /// `data: [DONE]`; a failure after the start is logged and sent as an error event.
    func sse(logger: Logger, _ event: @escaping @Sendable (Element) throws -> String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                do {
                    var element = first
                    while let current = element {
                        try await writer.write(ByteBuffer(string: try event(current)))
                        element = try await next()
                    }
                } catch {
                    logger.error("stream failed", metadata: ["error": "\(String(reflecting: error))"])
                    try? await writer.write(ByteBuffer(string: (try? ServerSentEvents.event(APIError(error).body)) ?? ""))
                }
                try await writer.write(ByteBuffer(string: ServerSentEvents.done))
                try await writer.finish(nil)
            })
    }

    /// An `application/x-ndjson` response: `line` encodes each element (with its newline);
    /// a failure after the start is logged with its detail and sent as the line `failure`
    /// makes, then the stream ends.
    func ndjson(
        logger: Logger, _ line: @escaping @Sendable (Element) throws -> String, failure: @escaping @Sendable (APIError) -> String
    ) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/x-ndjson", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                do {
                    var element = first
                    while let current = element {
                        try await writer.write(ByteBuffer(string: try line(current)))
                        element = try await next()
                    }
                } catch {
                    logger.error("stream failed", metadata: ["error": "\(String(reflecting: error))"])
                    try? await writer.write(ByteBuffer(string: failure(APIError(error))))
                }
                try await writer.finish(nil)
            })
    }
}
