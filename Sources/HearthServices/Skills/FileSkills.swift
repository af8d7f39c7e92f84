import Foundation
import HearthCore

/// `files_list`: what a folder under the server's file roots holds. Administrators only, as
/// ingestion by path is: the roots are the operator's folders.
struct ListFilesSkill: Skill {
    static let maxEntries = 500
    let roots: FileRoots

    let info = SkillInfo(
        name: "files_list",
        description: "List a folder on the server (inside the folders it may read): names, kinds and sizes.",
        inputSchema: SkillInfo.schema(["path": ["type": "string", "description": "absolute path of the folder"]], required: ["path"]),
        adminOnly: true)

    func run(_ input: SkillInput, by principal: Principal) async throws -> SkillOutput {
        let folder = try roots.checked(try input.requiredString("path"), field: "path")
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw HearthError.invalidRequest("'\(folder)' is a file, not a folder; read it with files_read", field: "path")
        }
        let names = try manager.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
        var lines = names.prefix(Self.maxEntries).map { name -> String in
            let path = folder + "/" + name
            let attributes = try? manager.attributesOfItem(atPath: path)
            if attributes?[.type] as? FileAttributeType == .typeDirectory { return "\(name)/" }
            return "\(name)\t\((attributes?[.size] as? NSNumber)?.int64Value ?? 0) bytes"
        }
        if names.count > Self.maxEntries { lines.append("… and \(names.count - Self.maxEntries) more") }
        return SkillOutput(lines.isEmpty ? "(empty folder)" : lines.joined(separator: "\n"))
    }
}

/// `files_read`: part of a text file under the server's file roots. Administrators only.
struct ReadFileSkill: Skill {
    static let defaultLimit = 64 * 1024
    static let maxLimit = 1024 * 1024
    let roots: FileRoots

    let info = SkillInfo(
        name: "files_read",
        description: "Read a text file on the server (inside the folders it may read), from a byte offset, up to a limit.",
        inputSchema: SkillInfo.schema(
            [
                "path": ["type": "string", "description": "absolute path of the file"],
                "offset": ["type": "integer", "description": "first byte to read (default 0)"],
                "limit": ["type": "integer", "description": "bytes to read (default 65536, at most 1048576)"],
            ], required: ["path"]),
        adminOnly: true)

    func run(_ input: SkillInput, by principal: Principal) async throws -> SkillOutput {
        let path = try roots.checked(try input.requiredString("path"), field: "path")
        let offset = max(0, input.integer("offset") ?? 0)
        let limit = min(max(1, input.integer("limit") ?? Self.defaultLimit), Self.maxLimit)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else {
            throw HearthError.invalidRequest("'\(path)' is a folder; list it with files_list", field: "path")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw HearthError.invalidRequest("'\(path)' cannot be read", field: "path")
        }
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: min(UInt64(offset), size))
        let data = try handle.read(upToCount: limit) ?? Data()
        guard !data.contains(0) else { throw HearthError.invalidRequest("'\(path)' is not a text file", field: "path") }
        var text = String(decoding: data, as: UTF8.self)
        let end = UInt64(offset) + UInt64(data.count)
        if end < size { text += "\n[… \(size - end) more bytes; read on from offset \(end)]" }
        return SkillOutput(text)
    }
}
