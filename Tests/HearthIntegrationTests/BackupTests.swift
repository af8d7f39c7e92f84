import Crypto
import Foundation
import HearthCore
import HearthPostgres
import HearthSQLite
import HearthServices
import HearthTesting
import Synchronization
import Testing

/// `hearth backup` taken while `hearth ingest` writes, and `hearth restore` into a new store,
/// on SQLite and on PostgreSQL, with the real embedding model.
@Suite(.serialized) struct BackupTests {
    /// A store under test: its knowledge and identity stores, the key API keys are hashed
    /// with, and the variables a `hearth` process needs to use it.
    struct Store {
        var knowledge: any KnowledgeStore
        var identity: any IdentityStore & ConversationStore
        var secret: () async throws -> SymmetricKey
        var environment: [String: String]
    }

    /// A new store in `home`: its SQLite data folder, or a new PostgreSQL database.
    static func store(_ postgres: Bool, home: URL, url: String? = nil) async throws -> Store {
        guard postgres else {
            let paths = Paths(config: home, data: home, cache: home)
            let knowledge = try SQLiteKnowledgeStore(paths: paths)
            return Store(
                knowledge: knowledge, identity: SQLiteIdentityStore(knowledge),
                secret: { try IdentityService.secret(at: paths.serverSecret) }, environment: [:])
        }
        var url = url
        if url == nil { url = try await TestPostgres.newDatabase() }
        guard let url else { throw HearthError(.internalError, "no database") }
        let database = try await PostgresDatabase.connect(to: url)
        let identity = PostgresIdentityStore(database)
        return Store(
            knowledge: PostgresKnowledgeStore(database), identity: identity,
            secret: { SymmetricKey(data: try await identity.serverSecret()) },
            environment: [
                "HEARTH_DATABASE_URL": url,
                "PATH": (TestPostgres.programs ?? "") + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? ""),
            ])
    }

    @Test(arguments: [false, true])
    func aBackupTakenWhileIngestingRestoresToTheSameStore(onPostgres postgres: Bool) async throws {
        let home = try KnowledgeLiveTests.home()
        let restoredHome = try KnowledgeLiveTests.home()
        let backup = home.appending(path: "backup")
        defer {
            try? FileManager.default.removeItem(at: home)
            try? FileManager.default.removeItem(at: restoredHome)
        }
        try KnowledgeLiveTests.corpus(in: home.appending(path: "stable"), count: 6)
        try KnowledgeLiveTests.corpus(in: home.appending(path: "busy"), count: 40)
        let source = try await Self.store(postgres, home: home)
        let environment = source.environment

        // A finished collection, an administrator with a key, a conversation.
        let stable = try await CLITests.hearth(
            ["ingest", home.appending(path: "stable").path, "-c", "stable"],
            environment: environment.merging(["HEARTH_HOME": home.path]) { $1 })
        try #require(stable.status == 0, "\(stable.error)")
        let bootstrap = try await CLITests.hearth(
            ["admin", "bootstrap"], environment: environment.merging(["HEARTH_HOME": home.path]) { $1 })
        try #require(bootstrap.status == 0, "\(bootstrap.error)")
        let key = bootstrap.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let now = Date()
        try await source.identity.createConversation(Conversation(id: "c1", ownerID: 1, title: "Kept", createdAt: now, updatedAt: now))
        try await source.identity.record(
            [ConversationMessage(role: .user, content: "What is kept?", createdAt: now)], in: "c1", keeping: 0, model: nil, title: nil,
            at: now)

        // The backup is taken while another collection is being ingested.
        let ingest = try CLITests.start(["ingest", home.appending(path: "busy").path, "-c", "busy"], home: home, environment: environment)
        defer { if ingest.isRunning { ingest.terminate() } }
        let deadline = ContinuousClock.now + .seconds(120)
        while (try? await source.knowledge.documents(in: "busy").count) ?? 0 < 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let taken = try await CLITests.hearth(
            ["backup", backup.path], environment: environment.merging(["HEARTH_HOME": home.path]) { $1 })
        try #require(taken.status == 0, "\(taken.error)")
        #expect(ingest.isRunning, "the ingestion ended before the backup: it was not taken under load")
        await ingest.exited()
        #expect((try FileManager.default.attributesOfItem(atPath: backup.path)[.posixPermissions] as? Int) == 0o700)
        let over = try await CLITests.hearth(
            ["backup", backup.path], environment: environment.merging(["HEARTH_HOME": home.path]) { $1 })
        #expect(over.status != 0 && over.error.contains("exists already"), "\(over.error)")
        let notOne = try await CLITests.hearth(["restore", home.appending(path: "stable").path], environment: environment)
        #expect(notOne.status != 0 && notOne.error.contains("is not a Hearth backup"), "\(notOne.error)")

        // Restored into a new data folder or database: `hearth restore` compares every count.
        let targetURL = postgres ? try await TestPostgres.newDatabase() : nil
        var restoring = environment.merging(["HEARTH_HOME": restoredHome.path]) { $1 }
        restoring["HEARTH_DATABASE_URL"] = targetURL
        let restored = try await CLITests.hearth(["restore", backup.path], environment: restoring)
        try #require(restored.status == 0, "\(restored.error)")
        let again = try await CLITests.hearth(["restore", backup.path], environment: restoring)
        #expect(again.status != 0 && again.error.contains("already holds"), "\(again.error)")
        let copy = try await Self.store(postgres, home: restoredHome, url: targetURL)

        // The same documents, chunks and search results.
        let original = try await source.knowledge.documents(in: "stable")
        #expect(try await copy.knowledge.documents(in: "stable") == original)
        for document in original {
            #expect(try await copy.knowledge.chunkTexts(ofDocument: document.id) == source.knowledge.chunkTexts(ofDocument: document.id))
        }
        // Of the collection being written, whole documents only: each with all its chunks.
        let busy = try await copy.knowledge.documents(in: "busy")
        #expect(!busy.isEmpty && busy.count < 40)
        for document in busy {
            #expect(try await copy.knowledge.chunkTexts(ofDocument: document.id).count == document.chunks)
        }
        // The ingestion cut by the backup resumes in the restored store; then both stores
        // hold the same corpus and rank alike (SQLite's keyword statistics span collections).
        let resumed = try await CLITests.hearth(["ingest", "--resume"], environment: restoring)
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(try await copy.knowledge.documents(in: "busy").count == 40)
        for question in ["bridges seen in year 1910", "castles and harbours"] {
            let before = try await CLITests.hearth(
                ["search", question, "-c", "stable", "--json"], environment: environment.merging(["HEARTH_HOME": home.path]) { $1 })
            let after = try await CLITests.hearth(["search", question, "-c", "stable", "--json"], environment: restoring)
            #expect(after.status == 0 && after.output == before.output, "\(after.error)\n\(before.output)\n\(after.output)")
        }
        // The key still signs in (the secret came along), and the conversation is there.
        let identity = IdentityService(store: copy.identity, secret: try await copy.secret())
        #expect(try await identity.authenticate(bearer: key).user?.name == "admin")
        #expect(try await copy.identity.messages(in: "c1").map(\.content) == ["What is kept?"])
    }
}
