import HearthServices
import Hummingbird

/// `/health` and `/metrics`, at the root as Prometheus and load balancers expect.
struct SystemRoutes<Context: RequestContext>: Sendable {
    let metrics: Metrics
    let system: SystemService

    func add(to router: Router<Context>) {
        router.get("/health") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(string: #"{"status":"ok"}"#)))
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: .init(string: metrics.render(loaded: await system.loadedModels()))))
        }
    }
}
