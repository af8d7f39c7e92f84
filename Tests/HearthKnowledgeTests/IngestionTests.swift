import Foundation
import HearthCore
import HearthSQLite
import HearthTesting
import Synchronization
import Testing

@testable import HearthKnowledge

/// Ingestion, storage and retrieval on the real SQLite store, with a stand-in embedder.
@Suite("Ingestion and retrieval")
struct IngestionTests {
    let folder = FileManager.default.temporaryDirectory.appending(path: "kb-\(UUID().uuidString)")
    var corpus: URL { folder.appending(path: "corpus") }

    init() throws {
        try FileManager.default.createDirectory(at: corpus.appending(path: "sub"), withIntermediateDirectories: true)
        try "# Backups\n\nCopy knowledge.sqlite while the server is stopped.\n".write(
            to: corpus.appending(path: "backup.md"), atomically: true, encoding: .utf8)
        try "Paris is the capital of France.\n\nLyon is known for food.\n".write(
            to: corpus.appending(path: "sub/cities.txt"), atomically: true, encoding: .utf8)
        try "ignored.txt\n".write(to: corpus.appending(path: ".gitignore"), atomically: true, encoding: .utf8)
        try "should not be read\n".write(to: corpus.appending(path: "ignored.txt"), atomically: true, encoding: .utf8)
        try Data([0, 1, 2, 0, 255]).write(to: corpus.appending(path: "binary.txt"))
        try Data(repeating: 65, count: 5000).write(to: corpus.appending(path: "big.txt"))
        try Data("%PDF-1.4 garbage".utf8).write(to: corpus.appending(path: "broken.pdf"))
        try Data([1, 2, 3]).write(to: corpus.appending(path: "image.png"))
        try Data([1, 2, 3]).write(to: corpus.appending(path: "song.mp3"))
    }

    func store() throws -> SQLiteKnowledgeStore {
        try SQLiteKnowledgeStore(path: folder.appending(path: "knowledge.sqlite"), indexFolder: folder.appending(path: "vectors"))
    }

    func ingest(_ store: SQLiteKnowledgeStore, _ embedder: HashingEmbedder, sync: Bool = false) async throws -> IngestionJob {
        let ingestor = Ingestor(store: store, embedder: embedder)
        _ = try await ingestor.collection("docs", embeddingModel: "hashing")
        return try await ingestor.run(IngestionJob(collection: "docs", paths: [corpus.path], sync: sync, maxFileBytes: 4096))
    }

    @Test("a job that fails is recorded as interrupted, so that it resumes later")
    func aFailedJobIsInterrupted() async throws {
        let store = try store()
        let ingestor = Ingestor(store: store, embedder: HashingEmbedder())
        await #expect(throws: HearthError.self) {
            try await ingestor.run(IngestionJob(collection: "missing", paths: [corpus.path]))
        }
        let job = try #require(try await store.jobs(in: "missing").first)
        #expect(job.status == .interrupted)
        #expect(try await ingestor.interruptedJobs(in: "missing").map(\.id) == [job.id])
    }

    @Test("a folder: readable files stored, the rest reported; again: nothing changes")
    func folder() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try store()
        let embedder = HashingEmbedder()
        let job = try await ingest(store, embedder)
        #expect(job.status == .completed)
        #expect(job.filesIngested == 2)
        #expect(job.unsupported == 1)
        let reasons = Dictionary(uniqueKeysWithValues: job.problems.map { (URL(filePath: $0.path).lastPathComponent, $0.reason) })
        #expect(reasons["big.txt"]?.contains("larger than the limit") == true)
        #expect(reasons["binary.txt"]?.contains("binary") == true)
        #expect(reasons["broken.pdf"]?.contains("pdftotext") == true)
        #expect(reasons["image.png"]?.contains("not an image") == true)
        #expect(reasons["ignored.txt"] == nil)
        let documents = try await store.documents(in: "docs")
        #expect(documents.map { URL(filePath: $0.path).lastPathComponent } == ["backup.md", "cities.txt"])
        #expect(try await store.collection("docs")?.chunks == 2)

        let again = try await ingest(store, embedder)
        #expect(again.filesUnchanged == 2 && again.filesIngested == 0)
        #expect(try await store.documents(in: "docs").map(\.version) == [1, 1])
    }

    @Test("a changed file replaces its chunks; --sync removes documents of deleted files")
    func changes() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try store()
        let embedder = HashingEmbedder()
        _ = try await ingest(store, embedder)
        try "# Backups\n\nUse sqlite3 .backup to copy the database.\n".write(
            to: corpus.appending(path: "backup.md"), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: corpus.appending(path: "sub/cities.txt"))
        let job = try await ingest(store, embedder, sync: true)
        #expect(job.filesIngested == 1 && job.removed == 1)
        let documents = try await store.documents(in: "docs")
        #expect(documents.count == 1 && documents[0].version == 2)
        let hits = try await Retriever(store: store, embedder: embedder).search(
            RetrievalQuery(text: "sqlite3 backup", collections: ["docs"]))
        #expect(hits.count == 1)
        #expect(hits[0].text == "Use sqlite3 .backup to copy the database.")
        #expect(hits[0].heading == "Backups" && hits[0].location == SourceLocation(lines: 3...3))
    }

    @Test("hybrid search ranks by words and meaning; filters narrow it")
    func search() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try store()
        let embedder = HashingEmbedder()
        _ = try await ingest(store, embedder)
        let retriever = Retriever(store: store, embedder: embedder)
        let hits = try await retriever.search(RetrievalQuery(text: "capital of France", collections: ["docs"], k: 3))
        #expect(hits.first?.text == "Paris is the capital of France.\n\nLyon is known for food.")
        #expect(hits.first?.keywordRank == 1)
        #expect((hits.first?.score ?? 0) > 0.9)
        let filtered = try await retriever.search(
            RetrievalQuery(text: "capital of France", collections: ["docs"], filter: SearchFilter(pathPrefix: corpus.path + "/backup")))
        #expect(filtered.map { URL(filePath: $0.path).lastPathComponent } == ["backup.md"])
        await #expect(throws: HearthError.self) { try await retriever.search(RetrievalQuery(text: "x", collections: ["nope"])) }
        await #expect(throws: HearthError.self) { try await retriever.search(RetrievalQuery(text: "  ", collections: ["docs"])) }
    }

    /// Three near-copies about lemon cake and one note about lemon trees, in collection "lemons".
    func lemons(_ store: SQLiteKnowledgeStore, _ embedder: HashingEmbedder) async throws -> Retriever {
        let lemons = folder.appending(path: "lemons")
        try FileManager.default.createDirectory(at: lemons, withIntermediateDirectories: true)
        for i in 1...3 {
            try "Bake the lemon cake for forty minutes, copy \(i).\n".write(
                to: lemons.appending(path: "cake\(i).txt"), atomically: true, encoding: .utf8)
        }
        try "Lemon trees grow in warm gardens.\n".write(to: lemons.appending(path: "trees.txt"), atomically: true, encoding: .utf8)
        let ingestor = Ingestor(store: store, embedder: embedder)
        _ = try await ingestor.collection("lemons", embeddingModel: "hashing")
        _ = try await ingestor.run(IngestionJob(collection: "lemons", paths: [lemons.path]))
        return Retriever(store: store, embedder: embedder)
    }

    @Test("MMR trades a near-copy for a different hit")
    func diversity() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let retriever = try await lemons(try store(), HashingEmbedder())
        let plain = try await retriever.search(RetrievalQuery(text: "bake lemon cake", collections: ["lemons"], k: 2))
        #expect(plain.count == 2 && plain.allSatisfy { $0.path.contains("cake") })
        let diverse = try await retriever.search(
            RetrievalQuery(text: "bake lemon cake", collections: ["lemons"], k: 2, mmr: true, mmrLambda: 0.3))
        #expect(diverse.first?.path.contains("cake") == true)
        #expect(diverse.last?.path.hasSuffix("trees.txt") == true)
    }

    /// Scores a passage 1 when it mentions trees.
    struct TreeReranker: Reranker {
        func scores(query: String, passages: [String]) async throws -> [Double] {
            passages.map { $0.contains("trees") ? 1 : 0 }
        }
    }

    @Test("a reranker, when given, orders the hits")
    func reranking() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        var retriever = try await lemons(try store(), HashingEmbedder())
        retriever.reranker = TreeReranker()
        let hits = try await retriever.search(RetrievalQuery(text: "bake lemon cake", collections: ["lemons"], k: 2))
        #expect(hits.first?.path.hasSuffix("trees.txt") == true)
        #expect(hits.first?.score == 1 && hits.last?.score == 0)
    }

    @Test("a second store on the same database sees new chunks through the index file the first saved; it survives a restart")
    func twoProcesses() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let writer = try store()
        let reader = try store()
        let embedder = HashingEmbedder()
        _ = try await ingest(writer, embedder)
        let query = try await embedder.embed(["Lyon food"], model: "hashing")[0]
        let before = try await reader.vectorSearch(query, in: "docs", k: 1, filter: SearchFilter())
        try "Lyon food: bouchons serve quenelles.\n".write(to: corpus.appending(path: "lyon.txt"), atomically: true, encoding: .utf8)
        _ = try await ingest(writer, embedder)
        let after = try await reader.vectorSearch(query, in: "docs", k: 1, filter: SearchFilter())
        #expect(before.first?.id != after.first?.id)
        #expect(try await reader.hits(after.map(\.id)).first?.text == "Lyon food: bouchons serve quenelles.")
        // The reader took the index file the writer saved rather than inserting the new
        // vectors itself, so it has nothing of its own to save.
        let file = folder.appending(path: "vectors/1.hnsw")
        let saved = try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date
        try reader.saveIndexes()
        #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date == saved)
        let restarted = try store()
        #expect(try await restarted.vectorSearch(query, in: "docs", k: 1, filter: SearchFilter()) == after)
    }

    @Test("a file batch is kept in the database and found only in its own collection; cancelling it stops only waiting files")
    func fileBatches() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let ingestor = Ingestor(store: try store(), embedder: HashingEmbedder())
        for name in ["docs", "other"] { _ = try await ingestor.collection(name, embeddingModel: "hashing") }
        let batch = FileBatch(
            id: "vsfb_1", collection: "docs", fileIDs: ["file-a", "file-b"], createdAt: Date(timeIntervalSince1970: 1_700_000_000))
        try await ingestor.store.putFileBatch(batch)
        let restarted = try store()
        #expect(try await restarted.fileBatch("vsfb_1", in: "docs") == batch)
        #expect(try await restarted.fileBatch("vsfb_1", in: "other") == nil)
        #expect(try await restarted.fileBatch("vsfb_2", in: "docs") == nil)

        try await restarted.putAttachment(FileAttachment(fileID: "file-a", collection: "docs"))
        try await restarted.putAttachment(FileAttachment(fileID: "file-b", collection: "docs", status: .completed))
        try await restarted.cancelAttachments(fileIDs: batch.fileIDs, in: "docs")
        let statuses = Dictionary(uniqueKeysWithValues: try await restarted.attachments(in: "docs").map { ($0.fileID, $0.status) })
        #expect(statuses == ["file-a": .cancelled, "file-b": .completed])
    }

    @Test("a chunk too long for the embedding model is cut and embedded in parts")
    func tooLong() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try store()
        let embedder = HashingEmbedder()
        embedder.tooLongWord = "Paris"
        _ = try await ingest(store, embedder)
        let texts = try await store.hits(Array(1...10)).map(\.text)
        #expect(texts.contains("Paris is the capital of France."))
        #expect(texts.contains("Lyon is known for food."))
    }

    @Test("answers: nothing relevant means no model call; otherwise sources are cited")
    func answers() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try store()
        let embedder = HashingEmbedder()
        _ = try await ingest(store, embedder)
        let answerer = Answerer(retriever: Retriever(store: store, embedder: embedder), minSimilarity: 0.3)
        let asked = Mutex(0)
        let generate: Answerer.Generate = { request in
            asked.withLock { $0 += 1 }
            guard case .chat(let messages) = request.prompt else { throw HearthError.invalidRequest("chat expected") }
            #expect(messages[0].content.contains("[1] \(corpus.path)/sub/cities.txt\nParis is the capital of France."))
            return AsyncThrowingStream { continuation in
                continuation.yield(.text("The capital of France is Paris. "))
                continuation.yield(.text("Lyon is known for food [2]."))
                continuation.yield(.done(.stop, Usage(promptTokens: 10, completionTokens: 5)))
                continuation.finish()
            }
        }
        var text = ""
        let question = RetrievalQuery(text: "capital of France", collections: ["docs"])
        for try await event in answerer.answer(question, from: try await answerer.sources(for: question), model: "m", generate: generate) {
            if case .text(let piece) = event { text += piece }
        }
        #expect(text.hasPrefix("The capital of France is Paris [1]. Lyon is known for food [2]."))
        #expect(text.contains("Sources:\n[1] \(corpus.path)/sub/cities.txt, lines 1–3"))
        var nothing = ""
        let unrelated = RetrievalQuery(text: "zebra quantum", collections: ["docs"])
        #expect(try await answerer.sources(for: unrelated).isEmpty)
        for try await event in answerer.answer(unrelated, from: [], model: "m", generate: generate) {
            if case .text(let piece) = event { nothing += piece }
        }
        #expect(nothing == Answerer.nothingFound(["docs"]))
        #expect(asked.withLock { $0 } == 1)
    }
}
