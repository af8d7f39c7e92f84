import HearthServices
import Hummingbird
import HummingbirdWebSocket

/// Builds the router every Hearth server runs: middleware (errors, metrics, auth) and the
/// route groups. Handlers only translate; the services do the work.
public enum HTTPServer {
    /// - Parameter traced: whether each request gets a server span (the tracer is bootstrapped).
    public static func router(services: Services, metrics: Metrics, maxBodyBytes: Int, traced: Bool = false)
        -> Router<HearthRequestContext>
    {
        let router = Router(context: HearthRequestContext.self)
        if traced { router.add(middleware: TracingMiddleware()) }
        router.add(middleware: RequestLogMiddleware(usage: services.usage, metrics: metrics, events: services.events))
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: AuthMiddleware(identity: services.identity, limits: services.limits))
        SystemRoutes(metrics: metrics, system: services.system).add(to: router)
        WebRoutes().add(to: router)
        EventRoutes(events: services.events).add(to: router)
        SocketRoutes.addRefusal(to: router)
        HearthRoutes(system: services.system, models: services.models, maxBodyBytes: maxBodyBytes).add(to: router)
        IdentityRoutes(identity: services.identity, usage: services.usage, maxBodyBytes: maxBodyBytes).add(to: router)
        ConversationRoutes(conversations: services.conversations, maxBodyBytes: maxBodyBytes).add(to: router)
        SkillRoutes(skills: services.skills, maxBodyBytes: maxBodyBytes).add(to: router)
        AgentRoutes(agents: services.agents, conversations: services.conversations, maxBodyBytes: maxBodyBytes).add(to: router)
        MCPRoutes(services: services, maxBodyBytes: maxBodyBytes).add(to: router)
        OpenAIRoutes(chat: services.chat, conversations: services.conversations, metrics: metrics, maxBodyBytes: maxBodyBytes).add(
            to: router)
        OpenAIResponsesRoutes(
            chat: services.chat, responses: services.responses, skills: services.skills, metrics: metrics, maxBodyBytes: maxBodyBytes
        ).add(
            to: router)
        VisionRoutes(vision: services.vision, maxFileBytes: max(maxBodyBytes, 64 << 20)).add(to: router)
        AudioRoutes(speech: services.speech, maxFileBytes: max(maxBodyBytes, 64 << 20), maxBodyBytes: maxBodyBytes).add(to: router)
        if let knowledge = services.knowledge {
            KnowledgeRoutes(knowledge: knowledge, metrics: metrics, maxBodyBytes: maxBodyBytes).add(to: router)
            OpenAIFilesRoutes(knowledge: knowledge, maxBodyBytes: maxBodyBytes, maxFileBytes: max(maxBodyBytes, 64 << 20)).add(to: router)
        }
        OllamaRoutes(
            chat: services.chat, conversations: services.conversations, models: services.models, metrics: metrics,
            maxBodyBytes: maxBodyBytes
        ).add(to: router)
        return router
    }

    /// The router of WebSocket upgrades (`/hearth/ws`), whose chats are served by `http`; an
    /// open socket checks its sign-in every `recheck`.
    public static func socketRouter(
        services: Services, http: Router<HearthRequestContext>, maxBodyBytes: Int, recheck: Duration = .seconds(30)
    ) -> Router<HearthSocketContext> {
        let router = Router(context: HearthSocketContext.self)
        let responder = http.buildResponder()
        let sockets = SocketRoutes(
            auth: AuthMiddleware(identity: services.identity, limits: services.limits), limits: services.limits,
            events: services.events, speech: services.speech, http: { try await responder.respond(to: $0, context: $1) },
            maxMessageBytes: maxBodyBytes, recheck: recheck)
        sockets.add(to: router)
        sockets.addListening(to: router)
        return router
    }
}
