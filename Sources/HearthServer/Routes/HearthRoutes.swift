import Foundation
import HearthModels
import HearthServices
import HearthWire
import Hummingbird

/// `/hearth/status`, `/hearth/settings` and `/hearth/models…`: Hearth's own API for what the
/// server runs, with which settings, and which models it has.
struct HearthRoutes: Sendable {
    let system: SystemService
    let models: ModelService
    let maxBodyBytes: Int

    func add(to router: Router<HearthRequestContext>) {
        router.get("/hearth/settings") { _, context in
            try json(HearthSettings(settings: try system.settings(by: context.principal).map(HearthSettings.Setting.init)))
        }
        router.get("/hearth/status") { _, context in
            try json(
                HearthStatus(
                    models: await system.loadedModels(by: context.principal),
                    mcpServers: system.externalServers(by: context.principal),
                    deployments: system.deployments(by: context.principal).map {
                        HearthStatus.Deployment(
                            model: $0.model, provider: $0.provider, upstreamModel: $0.upstreamModel, strategy: $0.strategy.rawValue,
                            circuit: $0.circuit, inFlight: $0.inFlight, firstTokenSeconds: $0.firstTokenSeconds)
                    }))
        }
        router.post("/hearth/providers/test") { _, context in
            let probes = try await system.probeDeployments(by: context.principal)
            return try json(
                ProviderProbes(
                    deployments: probes.map {
                        ProviderProbes.Probe(
                            model: $0.model, provider: $0.provider, upstreamModel: $0.upstreamModel, error: $0.error?.message,
                            seconds: $0.seconds)
                    }))
        }
        router.post("/hearth/reload") { _, context in
            let summary = try system.reloadGateway(by: context.principal)
            return try json(GatewayReload(providers: summary.providers, models: summary.models))
        }
        router.get("/hearth/models") { _, context in
            try json(
                ModelsWire.ModelList(models: try models.list(by: context.principal).map(Self.model), diskUsage: try models.diskUsage()))
        }
        router.post("/hearth/models") { request, context in
            let wire = try await request.decode(ModelsWire.CreateRequest.self, upTo: maxBodyBytes)
            let changes = ModelService.ProfileChanges(
                from: wire.from, system: wire.system, parameters: wire.parameters ?? [:], stop: wire.stop ?? [],
                template: wire.template)
            let entry = try models.create(wire.name, modelfile: wire.modelfile, changes: changes, by: context.principal)
            return try json(ModelsWire.Changed(name: entry.name, from: entry.profile?.from), status: .created)
        }
        router.get("/hearth/models/{name}") { _, context in
            try json(Self.detail(try models.show(try context.parameters.segment("name"), by: context.principal)))
        }
        router.delete("/hearth/models/{name}") { _, context in
            let name = try context.parameters.segment("name")
            let freed = try await models.delete(name, by: context.principal)
            return try json(ModelsWire.Changed(name: ModelStore.canonicalName(name), freedBytes: freed))
        }
        router.post("/hearth/models/copy") { request, context in
            let wire = try await request.decode(ModelsWire.CopyRequest.self, upTo: maxBodyBytes)
            try models.copy(wire.source, to: wire.destination, by: context.principal)
            return try json(ModelsWire.Changed(name: ModelStore.canonicalName(wire.destination)))
        }
        router.post("/hearth/models/pull") { request, context in
            let wire = try await request.decode(ModelsWire.PullRequest.self, upTo: maxBodyBytes)
            return try await StartedStream(models.pull(wire.model, as: wire.name, sha256: wire.sha256, by: context.principal)).ndjson(
                logger: context.logger, { try Ollama.line(Self.event($0)) },
                failure: { (try? Ollama.line(ModelsWire.PullEvent(status: "error", error: $0.body.error))) ?? "" })
        }
    }

    static func model(_ summary: ModelService.Summary) -> ModelsWire.Model {
        ModelsWire.Model(
            name: summary.entry.name, digest: summary.entry.digest, size: summary.entry.size,
            modifiedAt: Int(summary.entry.modified.timeIntervalSince1970), architecture: summary.metadata?.architecture,
            parameters: summary.metadata?.parameters, quantization: summary.metadata?.quantization,
            profileOf: summary.entry.profile?.from)
    }

    static func detail(_ model: ModelService.Description) -> ModelsWire.Detail {
        let metadata = model.metadata
        return ModelsWire.Detail(
            name: model.name, architecture: metadata.architecture, parameters: metadata.parameters,
            quantization: metadata.quantization, contextLength: metadata.contextLength, embeddingLength: metadata.embeddingLength,
            layers: metadata.blockCount, attentionHeads: metadata.headCount, tokenizer: metadata.tokenizer,
            vocabularySize: metadata.vocabularySize,
            capabilities: metadata.embeddingOnly ? ["embedding"] : ["completion", "embedding"], template: model.template,
            templateFromFile: model.profile?.template == nil && metadata.chatTemplate != nil, size: Int64(metadata.fileSize),
            digest: model.entry?.digest,
            profile: model.profile.map {
                ModelsWire.Detail.Profile(from: $0.from, system: $0.system, parameters: model.parameterLines, template: $0.template)
            }, modelfile: model.modelfile)
    }

    static func event(_ event: ModelService.PullEvent) -> ModelsWire.PullEvent {
        switch event {
        case .started(let name, let size): ModelsWire.PullEvent(status: "started", model: name, total: size)
        case .downloading(let file, let completed, let total, let resumedFrom):
            ModelsWire.PullEvent(status: "downloading", file: file, completed: completed, total: total, resumedFrom: resumedFrom)
        case .converting: ModelsWire.PullEvent(status: "converting")
        case .verifying: ModelsWire.PullEvent(status: "verifying")
        case .installing: ModelsWire.PullEvent(status: "installing")
        case .done(let name, let digest, let size): ModelsWire.PullEvent(status: "success", model: name, digest: digest, size: size)
        }
    }
}
