import Foundation

/// Clusters, clouds, volumes, accounts and the network: commands whose damage reaches
/// beyond this folder.
extension RiskClassifier {
    /// The verdict on such a command line, or nil for another program.
    static func infrastructureVerdict(_ program: String, _ args: [String]) -> (RiskLevel, String)? {
        let lowered = args.map { $0.lowercased() }
        func has(_ words: String...) -> Bool { lowered.contains { words.contains($0) } }
        switch program {
        case "kubectl", "oc":
            if lowered.contains(where: { $0.hasPrefix("--dry-run") && $0 != "--dry-run=none" }) || lowered.first == "auth" {
                return (.safe, "")
            }
            if has("delete", "drain", "replace") || (has("apply") && has("--force", "--prune"))
                || lowered.contains(where: { $0 == "--replicas=0" })
            {
                return (.risky, "deletes, replaces or scales to zero cluster resources")
            }
            if has("get", "describe", "logs", "top", "explain", "version", "api-resources", "config", "diff", "events", "auth") {
                return (.safe, "")
            }
            return (.caution, "changes the cluster")
        case "helm":
            if has("uninstall", "delete", "del", "rollback") || (has("upgrade") && has("--force", "--reset-values")) {
                return (.risky, "removes, rolls back or forcibly replaces a release")
            }
            return has("list", "ls", "status", "get", "show", "search", "template", "version", "history")
                ? (.safe, "") : (.caution, "changes releases")
        case "terraform", "tofu", "pulumi":
            if has("destroy", "taint", "force-unlock") || (has("apply", "up") && has("-auto-approve", "--yes", "-y", "--skip-preview"))
                || (has("state") && has("rm", "mv", "push")) || (has("workspace") && has("delete"))
            {
                return (.risky, "destroys, replaces or forgets infrastructure")
            }
            return has("plan", "show", "output", "validate", "fmt", "version", "preview", "state")
                ? (.safe, "") : (.caution, "changes infrastructure")
        case "aws", "gsutil", "gcloud", "az", "s3cmd", "rclone", "mc", "doctl":
            let removes: Set = [
                "rm", "rb", "delete", "del", "purge", "terminate-instances", "delete-bucket", "delete-db-instance", "destroy",
                "delete-stack", "deletedir", "rmdir", "delete-objects",
            ]
            if lowered.contains(where: { removes.contains($0) || $0.hasPrefix("delete-") || $0.hasPrefix("terminate-") })
                || (program == "rclone" && has("sync"))
                || (has("sync") && has("--delete", "--delete-removed"))
            {
                return (.risky, "deletes cloud resources or stored objects")
            }
            return (.caution, "talks to a cloud account")
        case "docker-compose":
            return composeVerdict(lowered)
        case "lvremove", "vgremove", "pvremove", "zpool", "zfs", "mdadm", "cryptsetup", "lvreduce", "resize2fs", "blkdiscard":
            if program == "zfs" || program == "zpool" {
                return has("destroy", "rollback", "labelclear")
                    ? (.risky, "destroys datasets or pools") : (.caution, "changes storage pools")
            }
            if program == "mdadm" || program == "cryptsetup" {
                return has("--zero-superblock", "--stop", "erase", "luksformat", "--remove", "--fail")
                    ? (.risky, "destroys a disk array or encrypted volume") : (.caution, "changes a disk array or encrypted volume")
            }
            return (.risky, "removes or shrinks a volume (its data is lost)")
        case "btrfs":
            return has("delete", "remove")
                ? (.risky, "deletes subvolumes or devices")
                : (has("show", "list", "df", "usage") ? (.safe, "") : (.caution, "changes a btrfs volume"))
        case "npm", "pnpm", "yarn", "cargo", "twine", "gem":
            if has("unpublish", "yank", "deprecate", "owner") { return (.risky, "withdraws or changes a published package") }
            if has("publish", "upload", "push") { return (.risky, "publishes a package to everyone (it cannot be taken back)") }
            return nil
        case "setenforce":
            return args.contains("0") || has("permissive") ? (.risky, "turns SELinux enforcement off") : (.caution, "changes SELinux")
        case "badblocks":
            return args.contains(where: { $0.hasPrefix("-") && $0.contains("w") })
                ? (.risky, "overwrites a whole disk to test it") : (.safe, "")
        case "virsh", "vagrant", "multipass", "lxc", "incus":
            return has("destroy", "undefine", "delete", "purge")
                ? (.risky, "destroys a virtual machine or container") : (.caution, "changes virtual machines")
        case "userdel", "deluser", "groupdel", "delgroup":
            return (.risky, "deletes an account" + (has("-r", "--remove", "--remove-home") ? " with its home folder" : ""))
        case "passwd", "usermod", "useradd", "adduser", "chpasswd", "gpasswd":
            return (.caution, "changes accounts or passwords")
        case "ifdown", "ifconfig", "nmcli", "ip":
            if (program == "ifdown") || has("down") || (program == "ip" && has("flush", "del", "delete")) {
                return (.risky, "takes the network down (a remote session ends)")
            }
            return program == "nmcli" || program == "ip" && has("add", "set", "change", "replace") ? (.caution, "changes the network") : nil
        case "swapoff", "umount", "sysctl", "setenforce", "modprobe", "rmmod", "insmod", "hostnamectl", "timedatectl":
            if program == "sysctl" && !has("-w") && !args.contains(where: { $0.contains("=") }) { return (.safe, "") }
            if program == "rmmod" || (program == "modprobe" && has("-r")) { return (.risky, "unloads a kernel module") }
            return (.caution, "changes the running system")
        default:
            return nil
        }
    }

    /// `docker compose …` and `docker-compose …` (`words` lower-cased, after `compose`).
    static func composeVerdict(_ words: [String]) -> (RiskLevel, String) {
        if words.contains("down"), words.contains(where: { ["-v", "--volumes", "--rmi"].contains($0) }) {
            return (.risky, "removes containers with their volumes or images")
        }
        if words.contains("rm"), words.contains(where: { $0.hasPrefix("-") && !$0.hasPrefix("--") && $0.contains("v") }) {
            return (.risky, "removes containers with their volumes")
        }
        if words.contains(where: { ["rm", "down", "kill"].contains($0) }) { return (.caution, "stops and removes containers") }
        if words.contains(where: { ["ps", "logs", "config", "ls", "images", "top", "version"].contains($0) }) { return (.safe, "") }
        return (.caution, "runs or changes containers")
    }

    /// Services whose stop cuts the machine off or takes its data offline.
    static let vitalServices: Set = [
        "ssh", "sshd", "networking", "network", "networkmanager", "systemd-networkd", "systemd-resolved", "docker", "containerd",
        "postgresql", "mysql", "mariadb", "redis", "redis-server", "mongod", "kubelet", "firewalld", "ufw",
    ]
}
