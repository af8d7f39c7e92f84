import Foundation
import HearthCore
import HearthServices
import HearthWire
import Hummingbird

/// `/hearth/skills`: the tools the server runs, listed and run one at a time.
struct SkillRoutes: Sendable {
    let skills: SkillService
    let maxBodyBytes: Int

    func add(to router: Router<HearthRequestContext>) {
        router.get("/hearth/skills") { _, context in
            let listing = skills.list(by: context.principal)
            return try json(
                SkillsWire.List(
                    skills: listing.skills.map(SkillsWire.Skill.init),
                    problems: listing.problems.map { SkillsWire.Problem(folder: $0.folder, message: $0.message) }))
        }
        router.get("/hearth/skills/{name}") { _, context in
            try json(SkillsWire.Skill(try skills.info(try context.parameters.segment("name"), by: context.principal)))
        }
        router.post("/hearth/skills/{name}") { request, context in
            let name = try context.parameters.segment("name")
            // The body is optional: a skill without input runs with `{}`.
            let body = try await request.body.collect(upTo: maxBodyBytes)
            let wire =
                body.readableBytes == 0
                ? SkillsWire.RunRequest(arguments: nil) : try WireDecoder.decode(SkillsWire.RunRequest.self, from: Data(buffer: body))
            let started = ContinuousClock.now
            let output = try await skills.run(name, input: wire.arguments?.text ?? "{}", by: context.principal)
            return try json(
                SkillsWire.RunResult(
                    name: name, output: output.text, isError: output.isError,
                    durationMs: Int((ContinuousClock.now - started).seconds * 1000)))
        }
    }
}
