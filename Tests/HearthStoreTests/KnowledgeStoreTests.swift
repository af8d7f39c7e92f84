import Foundation
import HearthCore
import HearthTesting
import Testing

/// The knowledge store's behaviour, the same on every backend.
@Suite struct KnowledgeStoreTests {
    let embedder = HashingEmbedder(dimensions: 32)

    /// A document of `texts` (one chunk each) with vectors from the test embedder.
    func draft(_ path: String, _ texts: [String], metadata: [String: String] = [:], fileID: String? = nil) async throws -> DocumentDraft {
        DocumentDraft(
            path: path, contentHash: "hash-\(texts.joined().hashValue)", bytes: Int64(texts.joined().utf8.count), metadata: metadata,
            fileID: fileID,
            chunks: texts.enumerated().map {
                ChunkDraft(text: $1, headings: ["Part \($0 + 1)"], location: .init(lines: ($0 + 1)...($0 + 2)))
            },
            vectors: try await embedder.embed(texts, model: "test"))
    }

    func collection(_ name: String, owner: Int64? = nil) -> KnowledgeCollection {
        KnowledgeCollection(name: name, embeddingModel: "test", dimensions: 32, ownerID: owner)
    }

    @Test(arguments: Backend.allCases)
    func collectionsAreCreatedCountedSharedAndDeleted(_ backend: Backend) async throws {
        try await withStores(backend) { stores in
            let store = stores.knowledge
            let created = try await store.createCollection(collection("notes", owner: 7))
            #expect(created.name == "notes" && created.ownerID == 7 && created.dimensions == 32)
            await expectError(.invalidRequest) { _ = try await store.createCollection(collection("notes")) }
            await expectError(.invalidRequest) { _ = try await store.createCollection(collection("bad name!")) }
            _ = try await store.createCollection(collection("archive"))
            #expect(try await store.collections().map(\.name) == ["archive", "notes"])

            try await store.relabelCollection("notes", label: "My notes")
            try await store.shareCollection("notes", with: [3, 2, 3])
            _ = try await store.putDocument(try await draft("a.md", ["alpha one", "alpha two"]), in: "notes")
            let notes = try #require(try await store.collection("notes"))
            #expect(notes.label == "My notes")
            #expect(notes.sharedWith == [2, 3])
            #expect(notes.documents == 1 && notes.chunks == 2 && notes.bytes == Int64("alpha onealpha two".utf8.count))
            let uncounted = try #require(try await store.collection("notes", counted: false))
            #expect(uncounted.sharedWith == [2, 3] && uncounted.label == "My notes")

            #expect(try await store.deleteCollection("notes"))
            #expect(try await store.collection("notes") == nil)
            #expect(!(try await store.deleteCollection("notes")))
            await expectError(.notFound) { _ = try await store.documents(in: "notes") }
            await expectError(.notFound) { try await store.relabelCollection("notes", label: nil) }
            // The name is free again, and the new collection starts empty.
            _ = try await store.createCollection(collection("notes"))
            #expect(try await store.documents(in: "notes").isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func aDocumentPutAgainReplacesItsChunksAndGoesUpAVersion(_ backend: Backend) async throws {
        try await withStores(backend) { stores in
            let store = stores.knowledge
            _ = try await store.createCollection(collection("docs"))
            let first = try await store.putDocument(
                try await draft("guide.md", ["one", "two", "three"], metadata: ["team": "ops"]), in: "docs")
            #expect(first.version == 1 && first.chunks == 3)
            let second = try await store.putDocument(try await draft("guide.md", ["uno", "dos"], metadata: ["team": "dev"]), in: "docs")
            #expect(second.version == 2 && second.chunks == 2)
            _ = try await store.putDocument(try await draft("a/readme.md", ["hello"], fileID: "file-1"), in: "docs")

            let documents = try await store.documents(in: "docs")
            #expect(documents.map(\.path) == ["a/readme.md", "guide.md"])
            let guide = try #require(try await store.document(in: "docs", path: "guide.md"))
            #expect(guide.version == 2 && guide.chunks == 2 && guide.metadata == ["team": "dev"] && guide.fileID == nil)
            #expect(try await store.chunkTexts(ofDocument: guide.id) == ["uno", "dos"])
            #expect(try await store.document(in: "docs", path: "a/readme.md")?.fileID == "file-1")
            #expect(try await store.document(in: "docs", path: "missing.md") == nil)

            var wrong = try await draft("bad.md", ["x"])
            wrong.vectors = [[1, 0, 0]]
            await expectError(.invalidRequest) { _ = try await store.putDocument(wrong, in: "docs") }
            #expect(try await store.document(in: "docs", path: "bad.md") == nil)
            await expectError(.notFound) { _ = try await store.putDocument(try await draft("x.md", ["x"]), in: "nowhere") }

            #expect(try await store.deleteDocument(in: "docs", path: "guide.md"))
            #expect(!(try await store.deleteDocument(in: "docs", path: "guide.md")))
            #expect(try await store.chunkTexts(ofDocument: guide.id).isEmpty)
            #expect(try await store.collection("docs")?.chunks == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func keywordSearchRanksTheChunksWithTheRarerWordsFirst(_ backend: Backend) async throws {
        try await withStores(backend) { stores in
            let store = stores.knowledge
            _ = try await store.createCollection(collection("kb"))
            _ = try await store.createCollection(collection("other"))
            _ = try await store.putDocument(
                try await draft(
                    "ops/backup.md",
                    [
                        "The nightly backup copies the database to the vault.", "Restoring a backup takes ten minutes.",
                        "Lunch is served at noon in the canteen.",
                    ], metadata: ["team": "ops"]), in: "kb")
            _ = try await store.putDocument(
                try await draft(
                    "dev/build.md", ["The build compiles every module.", "A vault of secrets holds the signing keys."],
                    metadata: ["team": "dev"]), in: "kb")
            _ = try await store.putDocument(try await draft("x.md", ["backup vault backup vault"]), in: "other")

            let hits = try await stores.knowledge.hits(
                try await store.keywordSearch("How do I restore a backup?", in: "kb", k: 5, filter: SearchFilter()).map(\.id))
            #expect(hits.first?.text == "Restoring a backup takes ten minutes.")
            #expect(
                Set(hits.map(\.text)) == ["Restoring a backup takes ten minutes.", "The nightly backup copies the database to the vault."])
            #expect(hits.allSatisfy { $0.collection == "kb" })

            // The rarer word weighs more: "canteen" is in one chunk, "vault" in two.
            let rarer = try await store.hits(
                try await store.keywordSearch("vault canteen", in: "kb", k: 5, filter: SearchFilter()).map(\.id))
            #expect(rarer.first?.text == "Lunch is served at noon in the canteen.")
            let vault = try await store.keywordSearch("vault", in: "kb", k: 5, filter: SearchFilter())
            #expect(vault.count == 2)
            #expect(try await store.keywordSearch("vault", in: "kb", k: 1, filter: SearchFilter()).count == 1)
            let devVault = try await stores.knowledge.hits(
                try await store.keywordSearch("vault", in: "kb", k: 5, filter: SearchFilter(pathPrefix: "dev/")).map(\.id))
            #expect(devVault.map(\.path) == ["dev/build.md"])
            let opsVault = try await store.keywordSearch("vault", in: "kb", k: 5, filter: SearchFilter(metadata: ["team": "ops"]))
            #expect(opsVault.count == 1)
            #expect(try await store.keywordSearch("the of and", in: "kb", k: 5, filter: SearchFilter()).isEmpty)
            #expect(try await store.keywordSearch("zebra", in: "kb", k: 5, filter: SearchFilter()).isEmpty)
            await expectError(.notFound) { _ = try await store.keywordSearch("vault", in: "nowhere", k: 5, filter: SearchFilter()) }
        }
    }

    @Test(arguments: Backend.allCases)
    func aRareWordOutweighsACommonOneSaidThreeTimes(_ backend: Backend) async throws {
        try await withStores(backend) { stores in
            let store = stores.knowledge
            _ = try await store.createCollection(collection("kb"))
            let texts =
                ["The report covers the quarterly report and the annual report.", "A zeppelin flew over the harbour at dawn."]
                + (1...8).map { "Report number \($0) is filed in the cabinet." }
            _ = try await store.putDocument(try await draft("all.md", texts), in: "kb")
            let hits = try await store.hits(
                try await store.keywordSearch("report zeppelin", in: "kb", k: 3, filter: SearchFilter()).map(\.id))
            #expect(hits.first?.text == "A zeppelin flew over the harbour at dawn.")
        }
    }

    @Test(arguments: Backend.allCases)
    func aWordSaidInAShortChunkOrMoreOftenRanksHigher(_ backend: Backend) async throws {
        try await withStores(backend) { stores in
            let store = stores.knowledge
            _ = try await store.createCollection(collection("kb"))
            let long =
                "The kerosene, along with flour, salt, nails, rope, paint, lamp oil and many other supplies for the keepers, arrives."
            _ = try await store.putDocument(try await draft("all.md", [long, "Kerosene arrives weekly."]), in: "kb")
            let hits = try await store.hits(try await store.keywordSearch("kerosene", in: "kb", k: 2, filter: SearchFilter()).map(\.id))
            #expect(hits.map(\.text) == ["Kerosene arrives weekly.", long])
            // Of two chunks as long, the one that says the word twice.
            _ = try await store.createCollection(collection("same-length"))
            _ = try await store.putDocument(
                try await draft("b.md", ["Kerosene arrives by boat every Tuesday.", "Kerosene arrives, kerosene for every lamp."]),
                in: "same-length")
            let twice = try await store.hits(
                try await store.keywordSearch("kerosene", in: "same-length", k: 2, filter: SearchFilter()).map(\.id))
            #expect(twice.first?.text == "Kerosene arrives, kerosene for every lamp.")
        }
    }

    @Test(arguments: Backend.allCases)
    func vectorSearchFindsTheNearestChunksByCosine(_ backend: Backend) async throws {
        try await withStores(backend) { stores in
            let store = stores.knowledge
            _ = try await store.createCollection(collection("kb"))
            let texts = (0..<40).map { "topic\($0) words\($0 % 7) shared" }
            _ = try await store.putDocument(try await draft("a/all.md", Array(texts[0..<20])), in: "kb")
            _ = try await store.putDocument(try await draft("b/all.md", Array(texts[20...]), metadata: ["half": "second"]), in: "kb")

            let query = try await embedder.embed(["topic25 words4 shared"], model: "test")[0]
            let nearest = try await store.vectorSearch(query, in: "kb", k: 5, filter: SearchFilter())
            #expect(nearest.count == 5)
            let best = try await store.hits([nearest[0].id])[0]
            #expect(best.text == "topic25 words4 shared")
            #expect(abs(nearest[0].score - 1) < 1e-4)
            #expect(zip(nearest, nearest.dropFirst()).allSatisfy { $0.score >= $1.score })

            let firstHalf = try await store.vectorSearch(query, in: "kb", k: 25, filter: SearchFilter(pathPrefix: "a/"))
            #expect(firstHalf.count == 20)
            let hits = try await store.hits(firstHalf.map(\.id))
            #expect(hits.allSatisfy { $0.path == "a/all.md" })
            let second = try await store.vectorSearch(query, in: "kb", k: 3, filter: SearchFilter(metadata: ["half": "second"]))
            #expect(try await store.hits(second.map(\.id)).first?.text == "topic25 words4 shared")

            await expectError(.invalidRequest) { _ = try await store.vectorSearch([1, 2, 3], in: "kb", k: 5, filter: SearchFilter()) }
            let stored = try await store.vectors([nearest[0].id, 999_999])
            #expect(stored.count == 1)
            let vector = try #require(stored[nearest[0].id])
            #expect(zip(vector, query).allSatisfy { abs($0 - $1) < 1e-6 })
        }
    }

    @Test(arguments: Backend.allCases)
    func hitsComeInTheOrderAskedWithTheirSources(_ backend: Backend) async throws {
        try await withStores(backend) { stores in
            let store = stores.knowledge
            _ = try await store.createCollection(collection("kb"))
            let document = try await store.putDocument(
                try await draft("guide.md", ["first", "second", "third"], metadata: ["lang": "en"], fileID: "file-9"), in: "kb")
            let ids = try await store.keywordSearch("first second third", in: "kb", k: 3, filter: SearchFilter()).map(\.id).sorted()
            #expect(ids.count == 3)
            let hits = try await store.hits([ids[2], 123_456_789, ids[0]])
            #expect(hits.map(\.text) == ["third", "first"])
            #expect(hits[0].documentID == document.id && hits[0].path == "guide.md" && hits[0].fileID == "file-9")
            #expect(hits[0].heading == "Part 3" && hits[0].metadata == ["lang": "en"] && hits[0].collection == "kb")
            #expect(hits[0].location.lineStart == 3 && hits[0].location.lineEnd == 4 && hits[0].location.pageStart == nil)
            #expect(try await store.hits([]).isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func jobsAreKeptNewestFirst(_ backend: Backend) async throws {
        try await withStores(backend) { stores in
            let store = stores.knowledge
            let first = try await store.createJob(IngestionJob(collection: "a", paths: ["/data/a"]))
            var second = try await store.createJob(IngestionJob(collection: "b", paths: ["/data/b"], sync: true))
            #expect(first.id > 0 && second.id > first.id)
            second.status = .completed
            second.filesDone = 4
            second.problems = [IngestionJob.Problem(path: "/data/b/x.bin", reason: "unsupported")]
            try await store.updateJob(second)
            let jobs = try await store.jobs(in: nil)
            #expect(jobs.map(\.id) == [second.id, first.id])
            #expect(jobs[0].status == .completed && jobs[0].filesDone == 4 && jobs[0].problems.count == 1 && jobs[0].sync)
            #expect(try await store.jobs(in: "a").map(\.id) == [first.id])
            #expect(try await store.jobs(in: "c").isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func filesAttachmentsAndBatchesRoundTrip(_ backend: Backend) async throws {
        try await withStores(backend) { stores in
            let store = stores.knowledge
            let bytes = Data([0, 1, 2, 255, 254])
            let old = Date(timeIntervalSince1970: 1_700_000_000)
            try await store.putFile(
                StoredFile(id: "file-a", filename: "a.pdf", purpose: "assistants", bytes: 5, createdAt: old, ownerID: 4), content: bytes)
            try await store.putFile(StoredFile(id: "file-b", filename: "b.txt", purpose: "assistants", bytes: 2), content: Data("hi".utf8))
            #expect(
                try await store.file("file-a")
                    == StoredFile(id: "file-a", filename: "a.pdf", purpose: "assistants", bytes: 5, createdAt: old, ownerID: 4))
            #expect(try await store.fileContent("file-a") == bytes)
            #expect(try await store.files().map(\.id) == ["file-b", "file-a"])
            try await store.putFile(
                StoredFile(id: "file-b", filename: "b2.txt", purpose: "assistants", bytes: 3), content: Data("hey".utf8))
            #expect(try await store.file("file-b")?.filename == "b2.txt")
            #expect(try await store.fileContent("file-b") == Data("hey".utf8))

            _ = try await store.createCollection(collection("kb"))
            try await store.putAttachment(FileAttachment(fileID: "file-a", collection: "kb", attributes: ["k": "v"], createdAt: old))
            try await store.putAttachment(FileAttachment(fileID: "file-b", collection: "kb"))
            _ = try await store.putDocument(try await draft("a.pdf", ["from a"], fileID: "file-a"), in: "kb")
            try await store.cancelAttachments(fileIDs: ["file-b", "file-x"], in: "kb")
            var done = try #require(try await store.attachment(fileID: "file-a", in: "kb"))
            #expect(done.attributes == ["k": "v"] && done.status == .inProgress)
            done.status = .completed
            done.bytes = 5
            try await store.putAttachment(done)
            let attachments = try await store.attachments(in: "kb")
            #expect(attachments.map(\.fileID) == ["file-b", "file-a"])
            #expect(attachments.map(\.status) == [.cancelled, .completed])
            await expectError(.notFound) { try await store.putAttachment(FileAttachment(fileID: "file-a", collection: "nowhere")) }

            try await store.putFileBatch(FileBatch(id: "batch-1", collection: "kb", fileIDs: ["file-a", "file-b"], createdAt: old))
            #expect(
                try await store.fileBatch("batch-1", in: "kb")
                    == FileBatch(id: "batch-1", collection: "kb", fileIDs: ["file-a", "file-b"], createdAt: old))
            _ = try await store.createCollection(collection("other"))
            #expect(try await store.fileBatch("batch-1", in: "other") == nil)

            #expect(try await store.deleteAttachment(fileID: "file-a", in: "kb"))
            #expect(try await store.document(in: "kb", path: "a.pdf") == nil)
            #expect(!(try await store.deleteAttachment(fileID: "file-a", in: "kb")))
            #expect(try await store.deleteFile("file-a"))
            #expect(!(try await store.deleteFile("file-a")))
            #expect(try await store.file("file-a") == nil)
            #expect(try await store.fileContent("file-a") == nil)
        }
    }
}
