import HearthShell
import Testing

/// The rules for databases, clusters, clouds, volumes, accounts, the network, and moves or
/// copies that destroy: each line is rated as listed. Files that "exist": notes.txt, data.csv;
/// folders: backup.
@Suite struct RiskClassifierDataTests {
    static let classifier = RiskClassifier(
        fileExists: { ["notes.txt", "data.csv", "backup"].contains($0) }, isFolder: { $0 == "backup" })

    static let risky: [String] = [
        #"psql -d prod -c "DROP TABLE users""#, #"psql -c 'drop database shop'"#, #"psql --command="TRUNCATE orders""#,
        #"psql -U app -c "DELETE FROM sessions""#, #"psql -c "UPDATE users SET admin = true""#,
        #"psql -c "ALTER TABLE users DROP COLUMN email""#, #"mysql -e "DROP DATABASE wordpress""#,
        #"mysql -u root -p -e 'DELETE FROM wp_posts' wordpress"#, #"mariadb --execute="truncate table logs" app"#,
        #"sqlite3 app.db "DELETE FROM users""#, #"sqlite3 app.db 'DROP TABLE notes;'"#, "dropdb production", "dropuser app",
        "mysqladmin -u root drop shop", "redis-cli FLUSHALL", "redis-cli -h cache -p 6380 flushdb", "redis-cli -n 2 SHUTDOWN",
        #"mongosh app --eval "db.dropDatabase()""#, #"mongo shop --eval 'db.orders.drop()'"#,
        #"mongosh --eval "db.users.deleteMany({})""#, #"clickhouse-client --query "DROP TABLE events""#,
        "kubectl delete namespace production", "kubectl delete pods --all -n default", "kubectl drain node-1", "helm uninstall web",
        "terraform destroy", "terraform apply -auto-approve", "aws s3 rm s3://bucket --recursive", "aws s3 rb s3://bucket --force",
        "aws ec2 terminate-instances --instance-ids i-123", "gsutil rm -r gs://bucket", "rclone purge remote:backups",
        "rclone sync local remote:mirror", "docker compose down -v", "docker-compose down --volumes", "zfs destroy tank/data",
        "lvremove /dev/vg0/data", "mdadm --zero-superblock /dev/sdb", "badblocks -w /dev/sdc", "virsh undefine web",
        "vagrant destroy -f", "userdel -r alice", "deluser bob", "ip link set eth0 down", "ifdown eth0", "ifconfig eth0 down",
        "systemctl stop sshd", "systemctl disable --now ssh.service", "service networking stop", "systemctl mask docker",
        "chown -R bob /home/alice", "chmod -R 700 ~alice", "chmod -R 777 ~/", "chown -R root:root /home", "chmod u+s /usr/bin/vim",
        "chmod 4755 ./tool", "mv notes.txt /dev/null", "mv report.txt notes.txt", "cp draft.csv data.csv", "cp app.log /dev/null",
        "modprobe -r nvme", "zpool destroy tank", "history -c", "bash -c 'rm -rf ~' --help",
        #"sudo rm -rf /var/lib/mysql --dry-run"#,
    ]

    static let caution: [String] = [
        #"psql -c "DELETE FROM sessions WHERE expires < now()""#, #"psql -c "UPDATE users SET name = 'x' WHERE id = 1""#,
        #"psql -c "CREATE TABLE t (id int)""#, #"psql -c "GRANT SELECT ON users TO app""#, "psql -f migrate.sql", "psql -d prod",
        "mysql shop < dump.sql", "redis-cli DEL session:1", "redis-cli SET key value", "redis-cli",
        #"mongosh --eval "db.users.deleteOne({name: 'x'})""#, "mongosh", "kubectl apply -f deploy.yaml",
        "kubectl scale deploy web --replicas=3", "helm upgrade web ./chart", "terraform apply", "aws s3 cp file s3://bucket/",
        "docker compose up -d", "docker compose down", "systemctl restart nginx", "systemctl stop nginx", "useradd carol",
        "passwd alice", "mv report.txt backup", "cp draft.csv copy.csv", "chown -R me project", "sysctl -w vm.swappiness=10",
        "nmcli con up office",
    ]

    static let safe: [String] = [
        #"psql -d prod -c "SELECT count(*) FROM users""#, #"psql -c '\dt'"#, #"mysql -e "SHOW TABLES" shop"#,
        #"sqlite3 app.db "SELECT * FROM users LIMIT 5""#, "sqlite3 app.db .tables", "redis-cli GET session:1", "redis-cli INFO",
        "redis-cli -h cache KEYS 'user:*'", #"mongosh app --eval "db.users.countDocuments()""#, "kubectl get pods -A",
        "kubectl describe node node-1", "kubectl logs web-1", "kubectl delete pod web-1 --dry-run=client", "helm list",
        "terraform plan", "docker compose ps", "docker compose logs -f", "ip addr show", "ip route", "sysctl vm.swappiness",
        "systemctl status sshd", "ls -la /home/alice", "du -sh /home",
    ]

    @Test(arguments: risky) func ratedRisky(_ command: String) {
        let assessment = Self.classifier.assess(command)
        #expect(assessment.level == .risky, "\(command) → \(assessment.level): \(assessment.reasons.map(\.message))")
    }

    @Test(arguments: caution) func ratedCaution(_ command: String) {
        let assessment = Self.classifier.assess(command)
        #expect(assessment.level == .caution, "\(command) → \(assessment.level): \(assessment.reasons.map(\.message))")
    }

    @Test(arguments: safe) func ratedSafe(_ command: String) {
        let assessment = Self.classifier.assess(command)
        #expect(assessment.level == .safe, "\(command) → \(assessment.level): \(assessment.reasons.map(\.message))")
    }
}
