import Foundation

/// What the model is told about where the command will run: the folder, the system, the
/// shell, git state, a short listing and, in interactive mode, the previous command. Nothing
/// else leaves the machine: no environment variables, no file contents.
public struct ShellContext: Sendable, Equatable {
    public var directory: String
    public var system: String
    public var shell: String
    /// `git: branch main, 2 changed files`, or nil outside a repository.
    public var git: String?
    /// Up to 30 names in the folder, folders marked with `/`.
    public var listing: [String]
    public var previousCommand: String?
    public var previousStatus: Int32?

    public init(
        directory: String, system: String, shell: String, git: String? = nil, listing: [String] = [], previousCommand: String? = nil,
        previousStatus: Int32? = nil
    ) {
        self.directory = directory
        self.system = system
        self.shell = shell
        self.git = git
        self.listing = listing
        self.previousCommand = previousCommand
        self.previousStatus = previousStatus
    }

    /// The context of the current process.
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> ShellContext {
        let directory = FileManager.default.currentDirectoryPath
        let release = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }
            .map { $0.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        let listing = names.prefix(30).map { name -> String in
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: directory + "/" + name, isDirectory: &isDirectory)
            return isDirectory.boolValue ? name + "/" : name
        }
        return ShellContext(
            directory: directory, system: release ?? "Linux", shell: environment["SHELL"] ?? "/bin/sh", git: gitSummary(in: directory),
            listing: listing + (names.count > 30 ? ["… \(names.count - 30) more"] : []))
    }

    static func gitSummary(in directory: String) -> String? {
        guard let branch = run(["git", "-C", directory, "rev-parse", "--abbrev-ref", "HEAD"]) else { return nil }
        let changes = run(["git", "-C", directory, "status", "--porcelain"])?.split(separator: "\n").count ?? 0
        return "branch \(branch.trimmingCharacters(in: .whitespacesAndNewlines)), \(changes) changed files"
    }

    private static func run(_ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }

    /// The context as the lines the model reads.
    public var description: String {
        var lines = ["Current directory: \(directory)", "System: \(system)", "Shell: \(shell)"]
        if let git { lines.append("Git repository: \(git)") }
        if !listing.isEmpty { lines.append("Files here: " + listing.joined(separator: ", ")) }
        if let previousCommand {
            lines.append("Previous command: \(previousCommand)" + (previousStatus.map { " (exit status \($0))" } ?? ""))
        }
        return lines.joined(separator: "\n")
    }
}
