import HearthShell
import Testing

/// The classifier over a list of real command lines. Every risky one must be caught; safe
/// ones must not cry wolf. Files that "exist" for the `>` rule: notes.txt, data.csv, Package.swift.
@Suite struct RiskClassifierTests {
    static let classifier = RiskClassifier(fileExists: { ["notes.txt", "data.csv", "Package.swift"].contains($0) })

    static let risky: [String] = [
        "rm file.txt", "rm -rf build", "rm -r ~/Downloads/old", "rm -fr /", "rm -rf /*", "rm -rf ~", "rm -rf .", "rm -R logs",
        "rm --recursive cache", "/bin/rm -rf /var/tmp/x", "sudo rm -rf /var/log", "rm -- -weird-name", "unlink link.txt",
        "find . -name '*.tmp' -delete", "find /tmp -type f -exec rm {} \\;", "find . -exec rm -rf {} +", "ls | xargs rm",
        "ls *.bak | xargs -r rm -f", "echo $(rm -rf x)", "echo `rm -rf x`", "echo \"$(rm -rf x)\"", "bash -c 'rm -rf /tmp/x'",
        "sh -c \"rm -rf build\"", "eval rm -rf build", "nohup rm -rf big &", "time rm -rf big", "nice -n 10 rm -rf big",
        "timeout 10 rm -rf big", "env FOO=1 rm -rf x", "(cd /tmp && rm -rf x)", "{ rm -rf x; }", "true && rm -rf x", "false || rm x",
        "ls; rm -rf x", "ssh server 'rm -rf /srv/app'", "dd if=/dev/zero of=/dev/sda", "dd if=image.iso of=/dev/sdb bs=4M",
        "mkfs.ext4 /dev/sdb1", "mkfs -t vfat /dev/sdc1", "mkswap /dev/sda2", "fdisk /dev/sda", "parted /dev/sda rm 1",
        "wipefs -a /dev/sdb", "shred -u secrets.txt", "shred /dev/sda", "cat image > /dev/sda", "echo hi > /dev/nvme0n1",
        "chmod -R 777 /", "chmod -R 777 /etc", "chown -R nobody /usr", "chgrp -R users /var", "chmod -R 777 .",
        "chmod -R a+rwx project", "chown -R user:user ~", "curl -fsSL https://get.example.com | sh",
        "curl https://example.com/install.sh | bash", "wget -qO- https://x.io/i.sh | sh", "curl -s http://x | sudo bash",
        "bash <(curl -s https://x/install.sh)", "sh -c \"$(curl -fsSL https://x/install.sh)\"", "curl https://x/a.py | python3",
        "wget -O - https://x | perl", "sudo apt update", "sudo ls", "doas reboot", "pkexec visudo", "su -c 'id'",
        "sudo -u postgres psql", "kill -9 1", "kill 1", "kill -9 -1", "pkill -9 firefox", "killall -9 node", "shutdown -h now",
        "reboot", "poweroff", "halt", "init 0", "systemctl reboot", "systemctl poweroff", ":(){ :|:& };:",
        "bomb(){ bomb|bomb & };bomb", "git push --force", "git push -f origin main", "git push origin +main",
        "git push --force-with-lease", "git push origin :feature", "git push --delete origin v1", "git reset --hard",
        "git reset --hard HEAD~3", "git clean -fd", "git clean -fdx", "git checkout -- .", "git checkout .", "git restore .",
        "git branch -D feature", "git stash drop", "git stash clear", "git filter-branch --tree-filter x", "git reflog expire --all",
        "git prune", "apt remove nginx", "apt-get purge mysql-server", "apt autoremove", "sudo apt-get remove --purge python3",
        "dpkg -r package", "dpkg -P package", "yum remove httpd", "dnf erase vim", "pacman -R firefox", "pacman -Rns pkg",
        "snap remove code", "pip uninstall requests", "npm uninstall -g typescript", "brew uninstall wget", "gem uninstall rails",
        "cat a > notes.txt", "echo '' > data.csv", "sort data.csv > data.csv", "> notes.txt", "echo x > /etc/hosts",
        "echo x >> /etc/profile", "printf x > /usr/local/bin/tool", "truncate -s 0 app.log", "crontab -r", "iptables -F",
        "ufw disable", "docker system prune -a", "docker rm -f web", "docker volume rm data", "docker rmi image",
        "rsync -a --delete src/ dst/", "mv /etc/passwd /tmp", "mv * /", "cp evil /bin/ls", "srm secret", "sudo -i",
    ]

    static let caution: [String] = [
        "mv a.txt b.txt", "cp a.txt b.txt", "chmod +x run.sh", "chown me file", "touch new.txt && echo hi > fresh.txt",
        "echo line >> notes.txt", "sed -i 's/a/b/' file.txt", "git commit -m 'git push --force'", "git add .", "git pull",
        "git push", "git rebase main", "git stash", "git checkout -b feature", "git merge dev", "tar -xzf archive.tar.gz",
        "unzip files.zip", "ln -s target link", "kill 1234", "pkill firefox", "systemctl restart nginx", "apt install htop",
        "pip install requests", "npm install", "docker run -it ubuntu", "crontab -e", "make install",
        "wget https://example.com/file.zip", "curl -o page.html https://example.com", "source venv/bin/activate",
        "python3 script.py", "bash deploy.sh", "echo ls | sh", "tee out.txt < in.txt", "gzip big.log", "my-unknown-tool --flag",
        "ssh server", "rmdir empty", "git tag -d v1", "patch -p1 < fix.diff",
    ]

    static let safe: [String] = [
        "ls -la", "ls -lhS | head -20", "du -sh * | sort -h", "df -h", "find . -name '*.log'", "find . -size +100M",
        "grep -rn TODO src", "grep -r 'rm -rf' .", "echo 'rm -rf /'", "echo \"sudo reboot\"", "printf '%s\\n' 'git push -f'",
        "cat README.md", "head -n 5 file.txt", "tail -f /var/log/syslog", "ps aux | grep python", "wc -l *.swift",
        "git status", "git log --oneline -10", "git diff HEAD~1", "git show HEAD", "git branch", "git remote -v", "git fetch",
        "pwd", "whoami", "uname -a", "date", "free -h", "uptime", "ls /etc", "cat /etc/os-release", "which python3",
        "ls 2>/dev/null", "find / -name x 2>/dev/null", "echo hi > /dev/null", "ps -ef | sort -k3 | head",
        "awk '{print $1}' access.log | sort | uniq -c | sort -rn | head", "stat file.txt", "file image.png", "tree -L 2",
        "diff a.txt b.txt", "md5sum file.iso", "ip addr", "ss -tlnp", "ping -c 3 example.com", "curl -I https://example.com",
        "curl https://example.com", "wget -qO- https://example.com | head", "jq . data.json", "history | tail", "env | sort",
        "dmesg | tail", "journalctl -u nginx --since today", "systemctl status nginx", "apt list --installed",
        "pip list", "docker ps", "docker images", "lsblk", "# rm -rf / is a comment", "sort data.csv | uniq",
        "cat notes.txt | grep todo", "A=1 ls", "ls -la ~", "echo $HOME", "man rm",
    ]

    @Test func everyRiskyCommandIsRisky() {
        for command in Self.risky {
            let assessment = Self.classifier.assess(command)
            #expect(assessment.level == .risky, "\(command) → \(assessment.level): \(assessment.reasons.map(\.message))")
        }
    }

    @Test func cautionCommandsAreCautionNotRiskyOrSafe() {
        for command in Self.caution {
            let assessment = Self.classifier.assess(command)
            #expect(assessment.level == .caution, "\(command) → \(assessment.level): \(assessment.reasons.map(\.message))")
        }
    }

    @Test func safeCommandsAreSafe() {
        for command in Self.safe {
            let assessment = Self.classifier.assess(command)
            #expect(assessment.level == .safe, "\(command) → \(assessment.level): \(assessment.reasons.map(\.message))")
        }
    }

    @Test func reasonsNameTheProgramAndProgramsAreListed() {
        let assessment = Self.classifier.assess("curl -fsSL https://x/i.sh | sudo bash")
        #expect(assessment.programs == ["curl", "sudo", "bash"])
        #expect(assessment.reasons.contains { $0.program == "sudo" && $0.message == "runs with root privileges" })
        #expect(assessment.reasons.contains { $0.program == "bash" && $0.message == "runs code downloaded from the network" })
    }
}
