import HearthCore
import HearthProviders

/// What the server runs now: loaded models with their slots, queues and memory, and the
/// external MCP servers whose tools are skills.
public struct SystemService: Sendable {
    let pipeline: ChatPipeline
    let externalSkills: (any ExternalSkills)?

    /// Where routed models run and how each deployment is doing (administrators only).
    public func deployments(by principal: Principal) -> [ProviderRouter.DeploymentReport] {
        principal.isAdmin ? pipeline.router.report : []
    }

    /// Asks each deployment of each routed model for one token (administrators only).
    /// - Throws: `HearthError.forbidden` for others.
    public func probeDeployments(by principal: Principal) async throws -> [ProviderRouter.ProbeResult] {
        try IdentityService.requireAdmin(principal)
        return await pipeline.router.probe()
    }

    /// The external MCP servers and how they are doing (administrators only: their names and
    /// errors are the operator's).
    public func externalServers(by principal: Principal) -> [ExternalServerStatus] {
        principal.isAdmin ? externalSkills?.servers ?? [] : []
    }

    /// The models loaded in every provider that `principal` may see.
    public func loadedModels(by principal: Principal) async -> [LoadedModel] {
        await pipeline.loadedModels().filter { principal.mayUse($0.name) }
    }
}
