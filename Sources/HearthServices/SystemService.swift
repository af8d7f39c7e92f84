import HearthCore
import HearthProviders
import Logging

/// What the server runs now: loaded models with their slots, queues and memory, and the
/// external MCP servers whose tools are skills.
public struct SystemService: Sendable {
    let pipeline: ChatPipeline
    let externalSkills: (any ExternalSkills)?
    let gateway: GatewayReloader?
    /// The settings the server runs with (empty for an in-process server).
    let settings: [Configuration.Setting]
    let logger: Logger

    /// The settings the server runs with (administrators only).
    /// - Throws: `HearthError.forbidden` for others.
    public func settings(by principal: Principal) throws -> [Configuration.Setting] {
        try IdentityService.requireAdmin(principal)
        return settings
    }

    /// Reads `config.toml` again and routes by it from now on; requests already routed
    /// finish where they are (administrators only; also on SIGHUP).
    /// - Throws: `HearthError.forbidden` for others, `.invalidRequest` naming what is wrong
    ///   in the file (the routes in use stay), `.unavailable` without a configuration file.
    public func reloadGateway(by principal: Principal) throws -> GatewayReloader.Summary {
        try IdentityService.requireAdmin(principal)
        guard let gateway else { throw HearthError(.unavailable, "this server reads no config.toml") }
        do {
            let summary = try gateway.reload()
            logger.info(
                "config.toml reloaded",
                metadata: ["hearth.providers": "\(summary.providers.count)", "hearth.routed_models": "\(summary.models.count)"])
            return summary
        } catch {
            logger.error("config.toml not reloaded; the routes in use stay", metadata: ["hearth.error": "\(error)"])
            throw error
        }
    }

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
