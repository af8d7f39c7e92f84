import HearthCore
import HearthServices
import HearthWire
import Hummingbird
import NIOCore

/// `GET /hearth/events`: the server's events as server-sent events, for as long as the client
/// listens (`?topics=request,stats` picks some of request, stats, model, ingestion; default
/// all). Ends when the server shuts down (the bus is closed then). `/hearth/ws` has the same.
/// `GET /hearth/stats/history`: the last hour of the models' activity, for a dashboard opened now.
struct EventRoutes: Sendable {
    let events: EventService

    func add(to router: Router<HearthRequestContext>) {
        router.get("/hearth/stats/history") { _, context in
            try json(EventWire.History(events.statsHistory(by: context.principal)))
        }
        router.get("/hearth/events") { request, context in
            let topics = try request.uri.queryParameters.get("topics").map { try EventService.topics($0.split(separator: ",")) }
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
