import ArgumentParser
import Foundation
import HearthApp
import HearthCore

extension Hearth {
    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Back up the whole store into a new folder, while the server serves.",
            discussion: """
                Works on this machine's store: the data folder (HEARTH_HOME), or the PostgreSQL
                database of HEARTH_DATABASE_URL (with pg_dump on PATH, no older than the server).
                The copy is consistent even while requests and ingestions write: SQLite's online
                backup API, or one pg_dump snapshot. Model files are not copied (their manifests
                are: `hearth restore` says which to pull again). The folder is readable by you
                only: it holds the key API keys are hashed with.

                Example:
                  hearth backup /srv/backups/hearth-$(date +%F)
                """)

        @Argument(help: "A new folder to write the backup into.")
        var folder: String

        func run() async throws {
            let target = URL(filePath: (folder as NSString).expandingTildeInPath)
            do {
                let configuration = try environmentConfiguration()
                FileHandle.standardError.write(Data("backing up \(Self.describe(configuration)) …\n".utf8))
                let manifest = try await StoreBackup.backup(configuration, to: target)
                print("backed up to \(target.path): \(Self.summary(manifest.counts))")
            } catch {
                throw fail(error)
            }
        }

        /// The store a configuration names, without credentials.
        static func describe(_ configuration: Configuration) -> String {
            configuration.databaseURL != nil
                ? "the PostgreSQL database \(configuration.settings.first { $0.name == "HEARTH_DATABASE_URL" }?.value ?? "")"
                : "the data folder \(configuration.paths.data.path)"
        }

        static func summary(_ counts: [String: Int]) -> String {
            ["collections", "documents", "chunks", "users", "api_keys", "conversations"]
                .map { "\(counts[$0] ?? 0) \($0.replacingOccurrences(of: "_", with: " "))" }.joined(separator: ", ")
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a backup into an empty data folder or database, and check it.",
            discussion: """
                Restores into the store this machine's settings name, which must be empty: a new
                HEARTH_HOME for a backup of the embedded store, a new database in
                HEARTH_DATABASE_URL for one of PostgreSQL (with pg_restore on PATH). Nothing is
                ever overwritten. Afterwards every table's rows are counted and compared with the
                backup's counts.

                Example:
                  HEARTH_HOME=/srv/hearth-restored hearth restore /srv/backups/hearth-2026-12-03
                """)

        @Argument(help: "The backup folder (made by `hearth backup`).")
        var folder: String

        func run() async throws {
            let source = URL(filePath: (folder as NSString).expandingTildeInPath)
            do {
                let configuration = try environmentConfiguration()
                FileHandle.standardError.write(Data("restoring into \(Backup.describe(configuration)) …\n".utf8))
                let restored = try await StoreBackup.restore(configuration, from: source)
                print(
                    "restored the backup of \(restored.manifest.createdAt.formatted(.iso8601)): \(Backup.summary(restored.manifest.counts))"
                )
                if !restored.missingModels.isEmpty {
                    print("pull these models again: \(restored.missingModels.joined(separator: ", "))")
                }
            } catch {
                throw fail(error)
            }
        }
    }
}
