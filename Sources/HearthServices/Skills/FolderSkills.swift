import Foundation
import HearthCore
import Synchronization

/// A user's skill: a folder with a `SKILL.md` and a program, run in the sandbox.
struct FolderSkill: Skill {
    let info: SkillInfo
    let manifest: SkillManifest
    let folder: String
    let sandbox: Sandbox

    init(manifest: SkillManifest, folder: String, sandbox: Sandbox) {
        self.manifest = manifest
        self.folder = folder
        self.sandbox = sandbox
        info = SkillInfo(
            name: manifest.name, description: manifest.description, inputSchema: manifest.inputSchema, origin: .folder(folder),
            network: manifest.network)
    }

    func run(_ input: SkillInput, by principal: Principal) async throws -> SkillOutput {
        await sandbox.run(
            command, folder: folder, input: Data(input.text.utf8), network: manifest.network, timeout: manifest.timeout)
    }

    /// The command with words that name files of the folder pointed into the sandbox's `/skill`.
    var command: [String] {
        manifest.command.map { word in
            guard !word.hasPrefix("/"), !word.hasPrefix("-"), !word.contains(".."),
                FileManager.default.fileExists(atPath: folder + "/" + word)
            else { return word }
            return "/skill/" + (word.hasPrefix("./") ? String(word.dropFirst(2)) : word)
        }
    }
}

/// The skill folders under one parent (`$XDG_DATA_HOME/hearth/skills`), read again whenever
/// a folder or a `SKILL.md` in it changes: adding, editing or deleting a skill needs no restart.
final class FolderSkills: Sendable {
    /// A folder that is not a valid skill, and why.
    struct Problem: Sendable, Equatable {
        var folder: String
        var message: String
    }

    struct Contents: Sendable {
        var skills: [FolderSkill] = []
        var problems: [Problem] = []
    }

    let parent: URL
    let sandbox: Sandbox
    private let cache = Mutex<(signature: [String], contents: Contents)?>(nil)

    init(parent: URL, sandbox: Sandbox = Sandbox()) {
        self.parent = parent
        self.sandbox = sandbox
    }

    /// The skills as the folders hold them now.
    var current: Contents {
        let signature = self.signature()
        if let cached = cache.withLock({ $0 }), cached.signature == signature { return cached.contents }
        let contents = read()
        cache.withLock { $0 = (signature, contents) }
        return contents
    }

    /// What changes when a skill is added, removed or edited: names and modification times.
    private func signature() -> [String] {
        let manager = FileManager.default
        func stamp(_ path: String) -> String {
            ((try? manager.attributesOfItem(atPath: path))?[.modificationDate] as? Date).map { "\($0.timeIntervalSince1970)" } ?? "-"
        }
        let names = ((try? manager.contentsOfDirectory(atPath: parent.path)) ?? []).sorted()
        return [stamp(parent.path)]
            + names.flatMap { name in
                let folder = parent.path + "/" + name
                return [name, stamp(folder), stamp(folder + "/" + SkillManifest.fileName)]
            }
    }

    private func read() -> Contents {
        var contents = Contents()
        let manager = FileManager.default
        let names = ((try? manager.contentsOfDirectory(atPath: parent.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        for name in names {
            let folder = parent.appending(path: name).resolvingSymlinksInPath().path
            var isFolder: ObjCBool = false
            guard manager.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else { continue }
            do throws(SkillManifest.Problem) {
                guard let data = manager.contents(atPath: folder + "/" + SkillManifest.fileName) else {
                    throw SkillManifest.Problem("it has no \(SkillManifest.fileName)")
                }
                let skill = FolderSkill(
                    manifest: try SkillManifest(String(decoding: data, as: UTF8.self)), folder: folder, sandbox: sandbox)
                let program = skill.command[0]
                guard program.hasPrefix("/") || !program.contains("/") else {
                    throw SkillManifest.Problem("its program '\(program.prefix(80))' is not in the folder")
                }
                guard !program.hasPrefix("/skill/") || manager.isExecutableFile(atPath: folder + program.dropFirst(6)) else {
                    throw SkillManifest.Problem("its program '\(skill.manifest.command[0])' is not executable (chmod +x)")
                }
                guard !contents.skills.contains(where: { $0.info.name == skill.info.name }) else {
                    throw SkillManifest.Problem("another folder has a skill named '\(skill.info.name)'")
                }
                contents.skills.append(skill)
            } catch {
                contents.problems.append(Problem(folder: name, message: error.message))
            }
        }
        return contents
    }
}
