import Foundation
import HearthCore

/// Runs a folder skill's program inside bubblewrap: the system's `/usr` read-only, the
/// skill's folder read-only at `/skill`, a small scratch folder at `/work` (its working
/// folder, and `HOME`) and `/tmp`, no other file of the machine, no network unless the skill
/// declares it, an empty environment, a user of no rights, its own process tree. It is
/// stopped at its time limit, when it prints more than the output limit, or when its caller
/// goes away.
struct Sandbox: Sendable {
    static let defaultOutputLimit = 1 << 20
    /// The size of `/work` and of `/tmp`, each.
    static let scratchBytes = 64 << 20
    /// The address space a skill may map (generous: runtimes reserve more than they use).
    static let memoryBytes = 4 << 30

    /// bubblewrap, when installed.
    let bwrap: String?
    /// util-linux's `prlimit`, which sets the resource limits (always on Debian).
    let prlimit: String?
    let outputLimit: Int

    init(outputLimit: Int = Sandbox.defaultOutputLimit) {
        bwrap = Self.installed("bwrap")
        prlimit = Self.installed("prlimit")
        self.outputLimit = outputLimit
        // A skill that exits without reading its input must not take the server with it.
        signal(SIGPIPE, SIG_IGN)
    }

    static let missing = "folder skills run inside bubblewrap, which is not installed on this server (Debian package bubblewrap)"

    /// Runs `command` (paths already resolved inside the sandbox) with `input` on its
    /// standard input.
    func run(_ command: [String], folder: String, input: Data, network: Bool, timeout: Int) async -> SkillOutput {
        guard let bwrap else { return .failure(Self.missing) }
        var arguments = [bwrap] + Self.arguments(folder: folder, network: network) + ["--"] + command
        if let prlimit { arguments = [prlimit] + Self.limits + arguments }
        let finished = await BoundedProcess(outputLimit: outputLimit).run(arguments, input: input, timeout: .seconds(timeout))
        let output = String(decoding: finished.stdout, as: UTF8.self)
        switch finished.ending {
        case .timedOut: return .failure("the skill ran past its time limit of \(timeout) s and was stopped")
        case .overflowed: return .failure("the skill printed more than \(outputLimit / 1024) KiB and was stopped")
        case .cancelled: return .failure("the skill was stopped: its caller went away")
        case .failedToStart(let reason): return .failure("the skill could not start: \(reason)")
        case .exited(0): return SkillOutput(output)
        case .exited(let status):
            let detail = [finished.stderrTail, output].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.first { !$0.isEmpty }
            return .failure("the skill failed (exit status \(status))" + (detail.map { ": " + $0.suffix(2_000) } ?? ""))
        case .signalled(let signal): return .failure("the skill was killed by signal \(signal)")
        }
    }

    static func installed(_ program: String) -> String? {
        ["/usr/bin/", "/bin/", "/usr/local/bin/"].map { $0 + program }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Resource limits for the whole sandbox, through util-linux's `prlimit`.
    static let limits = ["--as=\(memoryBytes)", "--fsize=\(scratchBytes)", "--nofile=256", "--core=0", "--"]

    static func arguments(folder: String, network: Bool) -> [String] {
        var arguments = [
            "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534", "--die-with-parent", "--new-session",
            "--ro-bind", "/usr", "/usr",
        ]
        let manager = FileManager.default
        // Merged /usr (Debian 12): /bin, /lib… are links into it; elsewhere, folders of their own.
        for top in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
            if let target = try? manager.destinationOfSymbolicLink(atPath: top) {
                arguments += ["--symlink", target, top]
            } else if manager.fileExists(atPath: top) {
                arguments += ["--ro-bind", top, top]
            }
        }
        var etc = ["alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "ssl", "ca-certificates", "mime.types"]
        if network {
            arguments.append("--share-net")
            etc += ["resolv.conf", "hosts", "nsswitch.conf", "gai.conf"]
        }
        for name in etc { arguments += ["--ro-bind-try", "/etc/" + name, "/etc/" + name] }
        arguments += [
            "--proc", "/proc", "--dev", "/dev", "--size", String(scratchBytes), "--tmpfs", "/tmp",
            "--size", String(scratchBytes), "--tmpfs", "/work", "--ro-bind", folder, "/skill", "--chdir", "/work",
            "--clearenv", "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv", "HOME", "/work",
            "--setenv", "TMPDIR", "/tmp", "--setenv", "LANG", "C.UTF-8", "--setenv", "SKILL_DIR", "/skill",
        ]
        return arguments
    }
}
