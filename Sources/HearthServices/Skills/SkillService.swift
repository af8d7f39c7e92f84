import Foundation
import HearthCore
import Logging

/// The skills the server runs for its callers: built-ins (time, arithmetic, the shell risk
/// check, files under the server's roots, the knowledge base), the folders of
/// `$XDG_DATA_HOME/hearth/skills` and the tools of external MCP servers (`server.tool`). A caller sees and runs only what its rights allow; a skill
/// runs with the caller's rights. A skill that fails gives a tool error (`isError`), not a
/// failed request: the caller, or a model in the agent loop, reads why.
public struct SkillService: Sendable {
    let builtins: [any Skill]
    let folders: FolderSkills?
    let external: (any ExternalSkills)?
    let logger: Logger

    /// - Parameters:
    ///   - folder: the parent of the skill folders (none: built-ins only).
    ///   - fileRoots: the folders `files_list` and `files_read` may read.
    ///   - external: the tools of external MCP servers.
    init(
        folder: URL?, fileRoots: [String], knowledge: KnowledgeService?, external: (any ExternalSkills)? = nil,
        clock: @escaping @Sendable () -> Date = Date.init, logger: Logger
    ) {
        let roots = FileRoots(fileRoots)
        var builtins: [any Skill] = [
            TimeSkill(clock: clock), CalculatorSkill(), ShellRiskSkill(), ListFilesSkill(roots: roots), ReadFileSkill(roots: roots),
        ]
        if let knowledge { builtins += [KnowledgeSearchSkill(knowledge: knowledge), KnowledgeAskSkill(knowledge: knowledge)] }
        self.builtins = builtins
        folders = folder.map { FolderSkills(parent: $0) }
        self.external = external
        self.logger = logger
    }

    /// What `list` shows.
    public struct Listing: Sendable {
        public var skills: [SkillInfo]
        /// Skill folders that could not be read, and why (administrators only).
        public var problems: [(folder: String, message: String)]
    }

    /// The skills `principal` may run, built-ins first; a folder skill named like a built-in
    /// is left out (and reported).
    public func list(by principal: Principal) -> Listing {
        let (skills, problems) = all()
        return Listing(
            skills: skills.map(\.info).filter { $0.isVisible(to: principal) },
            problems: principal.isAdmin ? problems : [])
    }

    /// One skill `principal` may run.
    /// - Throws: `HearthError.notFound` for an unknown skill, or one hidden from the caller.
    public func info(_ name: String, by principal: Principal) throws -> SkillInfo {
        try skill(name, by: principal).info
    }

    /// Runs a skill with `input` (a JSON object's text; empty is `{}`).
    /// - Throws: `HearthError.notFound` for an unknown skill, `invalidRequest` for input that
    ///   is not an object or misses what the skill's schema requires. Anything else the skill
    ///   meets comes back as a tool error.
    public func run(_ name: String, input: String, by principal: Principal) async throws -> SkillOutput {
        let skill = try skill(name, by: principal)
        let input = try SkillInput(input)
        try input.check(against: skill.info.inputSchema)
        let started = ContinuousClock.now
        let output: SkillOutput
        do {
            output = try await skill.run(input, by: principal)
        } catch let error as HearthError {
            output = .failure(error.message)
        } catch is CancellationError {
            output = .failure("the skill was stopped: its caller went away")
        } catch {
            output = .failure("\(error)")
        }
        // The input and the output may hold what the caller would not log: never logged.
        logger.info(
            "skill ran",
            metadata: [
                "skill": "\(name)", "user": "\(principal.name)", "failed": "\(output.isError)",
                "ms": "\(Int((ContinuousClock.now - started).seconds * 1000))",
            ])
        return output
    }

    private func skill(_ name: String, by principal: Principal) throws -> any Skill {
        guard let skill = all().skills.first(where: { $0.info.name == name }), skill.info.isVisible(to: principal) else {
            throw HearthError(.notFound, "no skill named '\(name.prefix(64))'", field: "name")
        }
        return skill
    }

    private func all() -> (skills: [any Skill], problems: [(folder: String, message: String)]) {
        var skills = builtins
        var problems: [(folder: String, message: String)] = []
        if let folders {
            let contents = folders.current
            problems = contents.problems.map { (folder: $0.folder, message: $0.message) }
            for skill in contents.skills {
                guard !builtins.contains(where: { $0.info.name == skill.info.name }) else {
                    let folder = URL(filePath: skill.folder).lastPathComponent
                    problems.append((folder: folder, message: "'\(skill.info.name)' is the name of a built-in skill"))
                    continue
                }
                skills.append(skill)
            }
            if folders.sandbox.bwrap == nil, !contents.skills.isEmpty {
                problems.append((folder: folders.parent.path, message: Sandbox.missing))
            }
        }
        // Named `server.tool`: never a built-in's or a folder skill's name (those have no dots).
        if let external { skills += external.skills.map { ExternalSkill(info: $0, source: external) } }
        return (skills, problems)
    }
}

/// A tool of an external MCP server, run there.
struct ExternalSkill: Skill {
    let info: SkillInfo
    let source: any ExternalSkills

    func run(_ input: SkillInput, by principal: Principal) async throws -> SkillOutput {
        await source.run(info.name, input: input.text)
    }
}
