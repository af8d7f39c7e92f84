import Foundation

/// How dangerous a command line is. `risky` needs a typed "yes"; `caution` changes something
/// but can be undone or is contained; `safe` only reads.
public enum RiskLevel: String, Sendable, Codable, Comparable, CaseIterable {
    case safe, caution, risky

    public static func < (a: RiskLevel, b: RiskLevel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The verdict on a command line: its level (the highest of its reasons) and why.
public struct RiskAssessment: Sendable, Encodable, Equatable {
    public struct Reason: Sendable, Encodable, Equatable {
        public var level: RiskLevel
        /// The program the reason is about.
        public var program: String
        public var message: String
    }

    public var level: RiskLevel { reasons.map(\.level).max() ?? .safe }
    public var reasons: [Reason]
    /// The programs the line would run, in order (nested ones included).
    public var programs: [String]

    enum CodingKeys: String, CodingKey { case level, reasons, programs }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(level, forKey: .level)
        try container.encode(reasons, forKey: .reasons)
        try container.encode(programs, forKey: .programs)
    }

    public init(reasons: [Reason], programs: [String]) {
        self.reasons = reasons
        self.programs = programs
    }
}

/// Rule-based and model-free: parses a command line (`ShellSyntax`) and flags destructive,
/// privileged, remote-code and irreversible actions, whatever a model said about them.
public struct RiskClassifier: Sendable {
    /// Whether a path exists (injected so that tests need no files): `>` over an existing file is risky.
    public var fileExists: @Sendable (String) -> Bool
    /// Whether a path is a folder: `mv a b` into a folder `b` replaces nothing.
    public var isFolder: @Sendable (String) -> Bool

    public init(
        fileExists: @escaping @Sendable (String) -> Bool = {
            FileManager.default.fileExists(atPath: ($0 as NSString).expandingTildeInPath)
        },
        isFolder: @escaping @Sendable (String) -> Bool = { path in
            var folder: ObjCBool = false
            return FileManager.default.fileExists(atPath: (path as NSString).expandingTildeInPath, isDirectory: &folder) && folder.boolValue
        }
    ) {
        self.fileExists = fileExists
        self.isFolder = isFolder
    }

    public func assess(_ line: String) -> RiskAssessment {
        let syntax = ShellSyntax(line)
        var reasons: [RiskAssessment.Reason] = []
        var programs: [String] = []
        if syntax.forkBomb {
            reasons.append(
                .init(level: .risky, program: "shell", message: "a fork bomb: it multiplies processes until the machine stops responding"))
        }
        // Code piped into a shell that nobody has read: from the network, or decoded.
        let unreadCode: String? =
            syntax.commands.contains {
                ["curl", "wget", "fetch"].contains($0.program ?? "") || Self.hiddenSources.contains($0.program ?? "")
            }
            ? "runs code downloaded from the network"
            : syntax.commands.contains { $0.program == "base64" && $0.arguments.contains { ["-d", "--decode", "-D"].contains($0) } }
                ? "runs decoded code nobody has read" : nil
        for command in syntax.commands {
            assess(command, unreadCode: unreadCode, depth: 0, into: &reasons, programs: &programs)
        }
        let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if syntax.commands.isEmpty && !text.isEmpty && !text.hasPrefix("#") && !syntax.forkBomb {
            reasons.append(.init(level: .caution, program: "shell", message: "aish could not find a command in this line"))
        }
        return RiskAssessment(reasons: reasons, programs: programs)
    }

    static let shells: Set = ["sh", "bash", "zsh", "dash", "ksh", "fish", "csh", "tcsh"]
    /// Programs whose output, piped into a shell, is code nobody has read: the network, decoders.
    static let hiddenSources: Set = ["nc", "ncat", "netcat", "socat", "telnet", "openssl"]
    static let interpreters: Set = ["python", "python3", "perl", "ruby", "node", "php"]
    static let wrappers: Set = ["nice", "nohup", "time", "ionice", "stdbuf", "chrt", "taskset", "unbuffer", "command", "builtin", "exec"]
    static let systemPaths = [
        "/", "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib64", "/boot", "/var", "/opt", "/root", "/sys", "/proc", "/dev", "/home", "~",
        "$HOME", "${HOME}", "/srv", "/mnt",
    ]

    /// A disk or memory device, whose blocks a write replaces.
    static func isDevice(_ path: String) -> Bool {
        ["/dev/sd", "/dev/nvme", "/dev/hd", "/dev/vd", "/dev/xvd", "/dev/mmcblk", "/dev/disk", "/dev/mem", "/dev/md", "/dev/mapper/"]
            .contains { path.hasPrefix($0) }
    }

    /// A user's home folder itself: `/home/alice`, `~bob`, `~/`.
    static func isHomeFolder(_ path: String) -> Bool {
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        return (parts.count == 3 && parts[0].isEmpty && parts[1] == "home" && !parts[2].isEmpty)
            || (trimmed.hasPrefix("~") && !trimmed.contains("/"))
    }
    static let readOnly: Set = [
        "ls", "cat", "less", "more", "head", "tail", "grep", "egrep", "fgrep", "rg", "ag", "du", "df", "ps", "top", "htop", "echo",
        "printf", "pwd", "whoami", "id", "date", "uname", "hostname", "wc", "sort", "uniq", "cut", "tr", "awk", "stat", "file",
        "which", "type", "man", "tree", "diff", "cmp", "basename", "dirname", "realpath", "readlink", "printenv", "uptime", "free",
        "lsblk", "lscpu", "lsof", "ss", "netstat", "ping", "jq", "xxd", "od", "hexdump", "nproc", "true", "false", "test", "[",
        "sleep", "seq", "column", "nl", "tac", "rev", "fold", "fmt", "paste", "join", "comm", "md5sum", "sha256sum", "sha1sum",
        "cksum", "env", "locale", "groups", "w", "who", "last", "dmesg", "journalctl", "vmstat", "iostat", "pgrep", "pidof",
        "history", "alias", "clear", "cal", "bc", "expr", "yes", "getent", "host", "dig", "nslookup", "traceroute", "curl", "wget",
        "zcat", "zgrep", "bat", "fd", "tldr", "info", "apropos", "whatis", "mount", "findmnt", "blkid", "ip", "ifconfig", "arp",
    ]

    private func assess(
        _ command: ShellSyntax.Command, unreadCode: String?, depth: Int, into reasons: inout [RiskAssessment.Reason],
        programs: inout [String]
    ) {
        for redirection in command.redirections where redirection.writes {
            assess(redirection, program: command.program ?? "shell", into: &reasons)
        }
        guard let program = command.program, depth < 8 else { return }
        programs.append(program)
        let args = command.arguments
        // Asking for help, or for what would happen, changes nothing: unless the program runs
        // another one, which may not take the flag as its own.
        let runsOthers =
            Self.shells.contains(program) || Self.interpreters.contains(program) || Self.wrappers.contains(program)
            || ["sudo", "doas", "pkexec", "su", "env", "xargs", "eval", "ssh", "find", "timeout", "watch"].contains(program)
        if !runsOthers,
            args == ["--version"]
                || args.contains(where: { ["--help", "--dry-run", "--dryrun", "--dry-run=client", "--dry-run=server"].contains($0) })
                || (program == "rsync" && args.contains { $0.hasPrefix("-") && !$0.hasPrefix("--") && $0.contains("n") })
        {
            return
        }
        func add(_ level: RiskLevel, _ message: String) { reasons.append(.init(level: level, program: program, message: message)) }
        func flags(_ short: Character...) -> Bool {
            args.contains { arg in arg.hasPrefix("-") && !arg.hasPrefix("--") && short.contains { arg.contains($0) } }
        }
        func has(_ options: String...) -> Bool { args.contains { options.contains($0) } }
        func operands() -> [String] { args.filter { !$0.hasPrefix("-") } }
        func touchesSystemPath() -> Bool {
            operands().contains { path in
                Self.systemPaths.contains { root in path == root || path == root + "/" || path == root + "/*" }
                    || ["/etc/", "/usr/", "/bin/", "/sbin/", "/boot/", "/lib/", "/var/lib/"].contains { path.hasPrefix($0) }
                    || Self.isHomeFolder(path)
            }
        }
        func nested(_ text: String) {
            for inner in ShellSyntax(text).commands {
                assess(inner, unreadCode: unreadCode, depth: depth + 1, into: &reasons, programs: &programs)
            }
        }
        func run(_ words: [String]) {
            guard !words.isEmpty else { return }
            assess(
                ShellSyntax.Command(words: words, redirections: [], readsPipe: command.readsPipe, pipesTo: command.pipesTo),
                unreadCode: unreadCode, depth: depth + 1, into: &reasons, programs: &programs)
        }

        if let (level, message) = Self.databaseVerdict(program, args) ?? Self.infrastructureVerdict(program, args) {
            if level != .safe { add(level, message) }
            return
        }
        switch program {
        case "sudo", "doas", "pkexec", "su":
            add(.risky, "runs with root privileges")
            if program == "su", let index = args.firstIndex(of: "-c"), index + 1 < args.count { nested(args[index + 1]) }
            run(Array(args.drop { $0.hasPrefix("-") || $0.contains("=") }))
        case _ where Self.wrappers.contains(program):
            run(Array(args.drop { $0.hasPrefix("-") || Double($0) != nil }))
        case "timeout", "watch":
            run(Array(args.drop { $0.hasPrefix("-") || Double($0.trimmingCharacters(in: .letters)) != nil }))
        case "env":
            run(Array(args.drop { $0.hasPrefix("-") || $0.contains("=") }))
        case "xargs":
            let rest = Array(args.drop { $0.hasPrefix("-") })
            if rest.isEmpty { add(.caution, "runs echo on its input") } else { run(rest) }
        case _ where Self.shells.contains(program) || Self.interpreters.contains(program):
            if let index = args.firstIndex(where: { $0 == "-c" || $0 == "-e" }), index + 1 < args.count {
                if Self.shells.contains(program) {
                    nested(args[index + 1])
                } else if args[index + 1].contains("fork") {
                    add(.risky, "an inline script that forks processes (it may multiply them until the machine stops)")
                } else {
                    add(.caution, "runs an inline script")
                }
                if let unreadCode { add(.risky, unreadCode) }
            } else if command.readsPipe || operands().isEmpty || operands().contains(where: { $0.hasPrefix("/dev/fd") }) {
                add(unreadCode == nil ? .caution : .risky, unreadCode ?? "runs a script from its input")
            } else {
                add(.caution, "runs the script \(operands()[0])")
            }
        case "eval":
            nested(args.joined(separator: " "))
        case "ssh":
            let afterHost = args.drop { $0.hasPrefix("-") }.dropFirst()
            if afterHost.isEmpty { add(.caution, "opens a remote shell") } else { nested(afterHost.joined(separator: " ")) }
        case "rm", "rmdir", "unlink", "srm":
            if program == "rmdir" {
                add(.caution, "removes empty directories")
            } else if flags("r", "R") || has("--recursive") {
                add(.risky, "deletes files and folders recursively, permanently")
            } else {
                add(.risky, "deletes files permanently")
            }
            if touchesSystemPath() || operands().contains(where: { $0 == "*" || $0 == "." || $0 == ".." || $0 == "/*" }) {
                add(.risky, "targets \(operands().joined(separator: " ")): a system folder, home or everything here")
            }
        case "shred", "wipe", "wipefs":
            add(.risky, "destroys data beyond recovery")
        case "dd":
            if args.contains(where: { $0.hasPrefix("of=") && $0 != "of=/dev/null" }) {
                add(.risky, "writes raw blocks (a wrong of= overwrites a disk)")
            }
        case _
        where program.hasPrefix("mkfs") || ["mke2fs", "mkswap", "fdisk", "sfdisk", "cfdisk", "parted", "gdisk", "sgdisk"].contains(program):
            // Listing the partitions only reads.
            if !(has("-l", "--list", "print") && !has("rm", "mklabel", "mkpart", "resizepart")) {
                add(.risky, "formats or repartitions a disk")
            }
        case "chmod", "chown", "chgrp", "setfacl", "chattr":
            let recursive = flags("R") || has("--recursive")
            if program == "chmod",
                args.contains(where: {
                    !$0.hasPrefix("-")
                        && ($0.contains("+s") || $0.count == 4 && $0.first.map { "4267".contains($0) } == true && Int($0) != nil)
                })
            {
                add(.risky, "sets a program to run with its owner's rights (setuid or setgid)")
            } else if recursive && touchesSystemPath() {
                add(.risky, "changes permissions or owners recursively on a system folder")
            } else if args.contains(where: { $0 == "777" || $0 == "a+rwx" || $0 == "-R777" || $0 == "o+w" })
                && (recursive || touchesSystemPath())
            {
                add(.risky, "makes everything below writable by everyone")
            } else {
                add(.caution, recursive ? "changes permissions or owners recursively" : "changes permissions or owners")
            }
        case "kill", "pkill", "killall", "skill":
            let targets = operands()
            if program == "kill", targets.contains("1") || args.last == "-1" {  // PID 1, or -1: every process
                add(.risky, "kills init or every process")
            } else if program != "kill" {
                add(flags("9") || has("-KILL", "-SIGKILL") ? .risky : .caution, "stops processes by name")
            } else {
                add(.caution, "stops processes")
            }
        case "shutdown", "reboot", "halt", "poweroff":
            add(.risky, "shuts down or restarts the machine")
        case "init", "telinit":
            add(operands().contains { ["0", "6"].contains($0) } ? .risky : .caution, "changes the system's run level")
        case "systemctl", "service":
            if args.contains(where: {
                ["poweroff", "reboot", "halt", "kexec", "emergency", "rescue"].contains($0.replacingOccurrences(of: ".target", with: ""))
            }) {
                add(.risky, "shuts down or restarts the machine")
            } else if has("stop", "disable", "mask", "kill"),
                args.contains(where: { Self.vitalServices.contains($0.lowercased().replacingOccurrences(of: ".service", with: "")) })
            {
                add(.risky, "stops a service the machine or its users depend on (ssh, network, a database)")
            } else if has("status", "list-units", "list-unit-files", "is-active", "is-enabled", "cat", "show") {
                break
            } else {
                add(.caution, "starts, stops or changes system services")
            }
        case "git":
            assessGit(args, add)
        case "apt", "apt-get", "aptitude", "yum", "dnf", "zypper", "pacman", "snap", "flatpak", "brew", "dpkg", "rpm", "pip", "pip3", "npm",
            "gem", "cargo":
            let removes = ["remove", "purge", "autoremove", "erase", "uninstall", "-R", "-Rs", "-Rns", "-r", "-P", "--purge", "-e"]
            if args.contains(where: { removes.contains($0) }) || (program == "pacman" && args.contains { $0.hasPrefix("-R") }) {
                add(.risky, "removes installed software")
            } else if args.contains(where: {
                ["install", "upgrade", "dist-upgrade", "full-upgrade", "update", "add", "-S", "-U", "-i"].contains($0)
            }) {
                add(.caution, "installs or upgrades software")
            } else if !args.isEmpty
                && !args.contains(where: {
                    ["list", "search", "show", "info", "-Q", "-l", "-q", "freeze", "policy", "outdated"].contains($0)
                })
            {
                add(.caution, "changes installed software")
            }
        case "find":
            if has("-delete") { add(.risky, "deletes every file it finds") }
            for action in ["-exec", "-execdir", "-ok", "-okdir"] {
                if let index = args.firstIndex(of: action) {
                    run(Array(args[(index + 1)...].prefix { $0 != ";" && $0 != "+" && $0 != "\\;" }))
                }
            }
        case "mv":
            let target = operands().last ?? ""
            if target == "/dev/null" {
                add(.risky, "moves files into /dev/null: they are gone, and as root /dev/null itself is replaced")
            } else if touchesSystemPath() {
                add(.risky, "moves system files or a home folder")
            } else if operands().count >= 2, !has("-n", "--no-clobber", "-i", "--interactive"), fileExists(target), !isFolder(target) {
                add(.risky, "replaces the existing file \(target)")
            } else {
                add(.caution, "moves or renames files (an existing target is replaced)")
            }
        case "cp", "rsync", "install", "scp":
            let target = operands().last ?? ""
            if program == "rsync", args.contains(where: { $0.hasPrefix("--del") || $0 == "--remove-source-files" }) {
                add(.risky, "deletes files at the destination or source")
            } else if Self.isDevice(target) {
                add(.risky, "writes straight to the device \(target)")
            } else if program == "cp", operands().count >= 2, target == "/dev/null" || (fileExists(target) && !isFolder(target)),
                !has("-n", "--no-clobber", "-i", "--interactive", "-u", "--update")
            {
                add(
                    .risky,
                    target == "/dev/null"
                        ? "copies into /dev/null (as root it may replace the device)" : "overwrites the existing file \(target)")
            } else {
                add(touchesSystemPath() ? .risky : .caution, "copies files (existing targets are overwritten)")
            }
        case "truncate":
            add(.risky, "cuts files to a size, losing their contents")
        case "crontab":
            add(flags("r") ? .risky : .caution, flags("r") ? "deletes every scheduled job" : "changes scheduled jobs")
        case "iptables", "ip6tables", "nft", "ufw":
            add(flags("F") || has("flush", "--flush", "disable", "reset") ? .risky : .caution, "changes the firewall")
        case "docker", "podman":
            if args.first == "compose" {
                let (level, message) = Self.composeVerdict(args.dropFirst().map { $0.lowercased() })
                if level != .safe { add(level, message) }
            } else if has("--privileged", "--pid=host", "--net=host")
                || args.contains(where: { $0.hasPrefix("/:/") || $0.contains("docker.sock:") })
            {
                add(.risky, "gives a container root on this machine (privileged, the host's / or Docker's socket)")
            } else if has("prune", "rm", "rmi") || (has("volume", "system", "image", "container") && has("rm", "prune")) {
                add(.risky, "deletes containers, images or volumes")
            } else if !has("ps", "images", "logs", "inspect", "version", "info", "stats", "top") {
                add(.caution, "runs or changes containers")
            }
        case "mkdir", "touch", "cd", "export", "source", ".", "set", "unset", "exit", "read", "wait", "jobs", "fg", "bg", "umask", "ln",
            "tar", "zip", "unzip", "gzip", "gunzip", "xz", "unxz", "bzip2", "tee", "tmux", "screen",
            "vi", "vim", "nano", "emacs", "code", "open", "xdg-open", "patch", "split", "base64", "convert", "ffmpeg":
            if program == "tee" || program == "ln" || program == "patch" || program == "gzip" || program == "xz" || program == "bzip2" {
                add(.caution, "writes or replaces files")
            } else if program == "tar", args.first.map({ $0.contains("x") || $0.contains("c") }) == true {
                add(.caution, "creates or extracts an archive (existing files are overwritten)")
            } else if program == "unzip" {
                add(.caution, "extracts an archive (existing files may be overwritten)")
            } else if program == "source" || program == "." {
                add(.caution, "runs a script in this shell")
            }
        default:
            if program == "sed", args.contains(where: { $0 == "-i" || $0.hasPrefix("-i") || $0 == "--in-place" }) {
                let everything = operands().contains { $0 == "*" || $0 == "{}" || $0 == "." } || flags("r", "R")
                add(everything ? .risky : .caution, everything ? "edits every file it is given in place" : "edits files in place")
            } else if program == "history", flags("c") {
                add(.risky, "erases the shell's history")
            } else if !Self.readOnly.contains(program) {
                add(.caution, "aish does not know what \(program) does")
            }
            if ["curl", "wget", "http", "https"].contains(program),
                args.contains(where: { ["DELETE", "PURGE"].contains($0.uppercased()) || $0.uppercased() == "-XDELETE" })
                    || args.contains(where: {
                        $0.contains("_delete_by_query") || $0.hasSuffix("/_close") || $0.hasSuffix("/_all") && args.contains("DELETE")
                    })
            {
                add(.risky, "sends a request that deletes on the server")
            }
            if ["curl", "wget"].contains(program),
                let output = args.firstIndex(where: { ["-o", "-O", "--output"].contains($0) }).flatMap({
                    $0 + 1 < args.count ? args[$0 + 1] : nil
                }),
                ["/usr/", "/bin/", "/sbin/", "/etc/", "/boot/", "/lib/"].contains(where: { output.hasPrefix($0) })
            {
                add(.risky, "downloads over the system file \(output)")
            }
            if ["curl", "wget"].contains(program),
                has("-o", "-O", "--output", "--remote-name") || (program == "wget" && !has("-O-", "-qO-", "--spider"))
            {
                if !(program == "wget" && args.contains { $0.hasPrefix("-") && $0.hasSuffix("O-") }) {
                    add(.caution, "downloads into a file")
                }
            }
        }
    }

    private func assessGit(_ args: [String], _ add: (RiskLevel, String) -> Void) {
        guard let sub = args.first(where: { !$0.hasPrefix("-") }) else { return }
        let rest = Array(args.drop { $0 != sub }.dropFirst())
        func has(_ options: String...) -> Bool { rest.contains { options.contains($0) } }
        switch sub {
        case "push":
            if has("--force", "-f", "--force-with-lease", "--mirror", "--delete", "-d")
                || rest.contains(where: { $0.hasPrefix("+") || $0.hasPrefix(":") })
            {
                add(.risky, "rewrites or deletes history on the remote")
            } else {
                add(.caution, "publishes commits to the remote")
            }
        case "reset":
            add(
                has("--hard", "--merge", "--keep") ? .risky : .caution,
                has("--hard") ? "throws away uncommitted changes" : "moves the branch")
        case "clean":
            add(rest.contains { $0.hasPrefix("-") && ($0.contains("f") || $0 == "--force") } ? .risky : .caution, "deletes untracked files")
        case "checkout", "restore", "switch":
            let paths = rest.drop { $0 != "--" }.dropFirst()
            if has("--", ".", "-f", "--force", "--staged", "--worktree") && (has(".") || has("-f", "--force")) {
                add(.risky, "throws away uncommitted changes")
            } else if (sub == "checkout" && !paths.isEmpty)
                || (sub == "restore" && !has("--staged", "-S") && rest.contains { !$0.hasPrefix("-") })
            {
                add(
                    .risky,
                    "throws away the uncommitted changes of \((sub == "checkout" ? Array(paths) : rest.filter { !$0.hasPrefix("-") }).joined(separator: " "))"
                )
            } else {
                add(.caution, "changes the working tree")
            }
        case "branch":
            if has("-D", "--delete", "-d") { add(has("-D") ? .risky : .caution, "deletes branches") }
        case "stash":
            add(has("drop", "clear") ? .risky : .caution, has("drop", "clear") ? "deletes stashed changes" : "stashes changes")
        case "rebase", "filter-branch", "filter-repo", "replace":
            add(sub == "rebase" ? .caution : .risky, "rewrites history")
        case "gc", "prune", "reflog":
            if has("--prune=now", "expire", "delete") || sub == "prune" { add(.risky, "deletes unreachable commits for good") }
        case "status", "log", "diff", "show", "fetch", "remote", "blame", "grep", "ls-files", "describe", "shortlog", "rev-parse", "config",
            "tag", "help", "version":
            if sub == "tag", has("-d", "--delete") { add(.caution, "deletes tags") }
            if sub == "remote", has("remove", "rm") { add(.caution, "removes a remote") }
        default:
            add(.caution, "changes the repository (git \(sub))")
        }
    }

    private func assess(_ redirection: ShellSyntax.Redirection, program: String, into reasons: inout [RiskAssessment.Reason]) {
        let target = redirection.target
        guard !["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "-"].contains(target), !target.isEmpty else { return }
        if Self.isDevice(target) {
            reasons.append(.init(level: .risky, program: program, message: "writes straight to the device \(target)"))
        } else if Self.systemPaths.contains(where: { target.hasPrefix($0 + "/") && $0 != "/" && $0 != "~" && $0 != "$HOME" }) {
            reasons.append(.init(level: .risky, program: program, message: "writes into the system file \(target)"))
        } else if target.hasSuffix("_history") || target.hasSuffix("/.history") {
            reasons.append(.init(level: .risky, program: program, message: "erases or changes the shell history \(target)"))
        } else if !redirection.appends && fileExists(target) {
            reasons.append(.init(level: .risky, program: program, message: "overwrites the existing file \(target)"))
        } else {
            reasons.append(.init(level: .caution, program: program, message: (redirection.appends ? "appends to " : "writes ") + target))
        }
    }
}
