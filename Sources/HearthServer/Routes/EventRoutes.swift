import HearthCore
import HearthServices
import HearthWire
import Hummingbird
import NIOCore

/// `GET /hearth/events`: the server's events as server-sent events, for as long as the client
/// listens (`?topics=request,stats` picks some; default all). Ends when the server shuts down
/// (the bus is closed then).
struct EventRoutes: Sendable {
    let events: EventService

    func add(to router: Router<HearthRequestContext>) {
        router.get("/hearth/events") { request, context in
            let topics = try request.uri.queryParameters.get("topics").map { text in
                let names = Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                guard names.isSubset(of: HearthEvent.topics) else {
                    throw HearthError.invalidRequest(
                        "'topics' takes \(HearthEvent.topics.sorted().joined(separator: ", ")), separated by commas", field: "topics")
                }
                return names
            }
            let stream = events.events(topics: topics, by: context.principal)
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    // A comment first: the client knows it is connected before the first event.
                    try await writer.write(ByteBuffer(string: ": connected\n\n"))
                    for await event in stream { try await writer.write(ByteBuffer(string: try EventWire.sse(event))) }
                    try await writer.finish(nil)
                })
        }
    }
}
