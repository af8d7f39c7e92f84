import HearthProviders
import HearthWire
import Hummingbird

/// `/hearth/*`: Hearth's own API.
struct HearthRoutes<Context: RequestContext>: Sendable {
    let pipeline: ChatPipeline

    func add(to router: Router<Context>) {
        router.get("/hearth/status") { _, _ in
            try json(HearthStatus(models: await pipeline.loadedModels()))
        }
    }
}
