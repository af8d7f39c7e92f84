import HearthServices
import Hummingbird

/// `/health` and `/metrics`, at the root as Prometheus and load balancers expect.
struct SystemRoutes: Sendable {
    let metrics: Metrics
    let system: SystemService

    func add(to router: Router<HearthRequestContext>) {
        router.get("/health") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(string: #"{"status":"ok"}"#)))
        }
        // Counts by key and user are the operator's to read.
        router.get("/metrics") { _, context in
            try IdentityService.requireAdmin(context.principal)
            let text = metrics.render(
                loaded: await system.loadedModels(by: context.principal),
                circuits: system.deployments(by: context.principal).map { ($0.provider, $0.upstreamModel, $0.circuit) })
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: .init(string: text)))
        }
    }
}
