import Foundation
import HearthApp
import HearthCore
import HearthKnowledge
import HearthPostgres
import HearthSQLite
import HearthTesting
import HearthWire
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// The knowledge base with the real embedding model (all-minilm:l6-v2) and smollm2:135m:
/// the CLI's ingestion killed half-way and resumed, and the HTTP API end to end.
@Suite(.serialized) struct KnowledgeLiveTests {
    /// A fresh HEARTH_HOME whose models are the set-up's, the embedding model among them.
    static func home() throws -> URL {
        _ = try TestModels.allMiniLM
        return try TestModels.home()
    }

    /// `count` Markdown files of four sections each, all different.
    static func corpus(in folder: URL, count: Int) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let topics = ["rivers", "mountains", "bridges", "trains", "gardens", "castles", "harbours", "forests"]
        for i in 0..<count {
            var text = "# Note \(i) about \(topics[i % topics.count])\n"
            for section in 0..<4 {
                text += "\n## Part \(section)\n\n"
                text += "Item \(i)-\(section) describes \(topics[(i + section) % topics.count]) seen in year \(1900 + i * 4 + section). "
                text += String(repeating: "It has many details worth keeping in mind for later reading. ", count: 3)
                text += "\n"
            }
            try text.write(to: folder.appending(path: "note-\(i).md"), atomically: true, encoding: .utf8)
        }
    }

    /// Files in the crash test's corpus.
    static let files = 40

    /// The store of a test run in `home`: the data folder's SQLite, or a new PostgreSQL
    /// database; `environment` makes a `hearth` process use the same, `count` reads how many
    /// documents a collection holds synchronously (for watching from a thread).
    static func store(_ postgres: Bool, home: URL) async throws -> (
        store: any KnowledgeStore, environment: [String: String], count: @Sendable (String) -> Int
    ) {
        guard postgres else {
            let store = try SQLiteKnowledgeStore(paths: Paths(config: home, data: home, cache: home))
            return (store, [:], { (try? store.documentCount(in: $0)) ?? 0 })
        }
        let url = try await TestPostgres.newDatabase()
        let store = PostgresKnowledgeStore(try await PostgresDatabase.connect(to: url))
        let count: @Sendable (String) -> Int = { collection in
            let sql = "SELECT count(*) FROM documents d JOIN collections c ON c.id = d.collection_id WHERE c.name = '\(collection)'"
            return Int((try? TestPostgres.value(sql, in: url)) ?? "") ?? 0
        }
        return (store, ["HEARTH_DATABASE_URL": url], count)
    }

    @Test(arguments: [false, true])
    func anIngestionKilledHalfWayResumesWithNoDuplicateAndNoGap(onPostgres postgres: Bool) async throws {
        let home = try Self.home()
        defer { try? FileManager.default.removeItem(at: home) }
        let corpus = home.appending(path: "corpus")
        try Self.corpus(in: corpus, count: Self.files)
        let (store, environment, documentCount) = try await Self.store(postgres, home: home)

        let first = try CLITests.start(["ingest", corpus.path, "-c", "notes"], home: home, environment: environment)
        // Watched from a thread of its own: the test runner's shared threads may be busy
        // with other tests for seconds at a time, long enough to miss the moment.
        let seen = Mutex(0)
        let watcher = Thread {
            let deadline = Date(timeIntervalSinceNow: 120)
            while first.isRunning, Date() < deadline {
                let count = documentCount("notes")
                seen.withLock { $0 = count }
                if count >= 8 {
                    kill(first.processIdentifier, SIGKILL)
                    return
                }
                usleep(10_000)
            }
        }
        watcher.start()
        await first.exited()
        #expect(first.terminationReason == .uncaughtSignal, "the ingestion ended by itself after \(seen.withLock { $0 }) documents")
        let partial = try await store.documents(in: "notes").count
        #expect(partial >= 8 && partial < Self.files)
        #expect(try await store.jobs(in: "notes").first?.status == .running)

        let second = try CLITests.start(
            ["ingest", "--resume"], home: home, output: home.appending(path: "resume.log"), environment: environment)
        await second.exited()
        let resumeLog = (try? String(contentsOf: home.appending(path: "resume.log"), encoding: .utf8)) ?? ""
        #expect(second.terminationStatus == 0, "\(resumeLog)")
        #expect(resumeLog.contains("resuming job 1 into 'notes'"))

        // Every file once, each with exactly the chunks a clean run makes.
        let documents = try await store.documents(in: "notes")
        #expect(documents.count == Self.files)
        var expected = 0
        for document in documents {
            let url = URL(filePath: document.path)
            let loaded = try await DocumentLoader.load(url, kind: .markdown, data: try Data(contentsOf: url))
            let chunks = Chunker().chunks(loaded).count
            #expect(document.chunks == chunks, "\(document.path)")
            #expect(document.version == 1)
            expected += chunks
        }
        #expect(try await store.collection("notes")?.chunks == expected)
        #expect(try await store.jobs(in: "notes").first?.status == .completed)
        let probe = [Float](repeating: 1 / Float(384).squareRoot(), count: 384)
        #expect(try await store.vectorSearch(probe, in: "notes", k: 1000, filter: SearchFilter()).count == expected)
    }

    @Test(arguments: [false, true])
    func searchAskAndChatWithCollectionsOverHTTP(onPostgres postgres: Bool) async throws {
        let home = try Self.home()
        defer { try? FileManager.default.removeItem(at: home) }
        let corpus = home.appending(path: "corpus")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        try """
        # Lighthouse keeping

        ## Lamps

        The lamp of the Brisk Point lighthouse is lit every evening at seven by the keeper, Ada Moreau.

        ## Supplies

        Kerosene for the lamp arrives by boat every second Tuesday.
        """.write(to: corpus.appending(path: "lighthouse.md"), atomically: true, encoding: .utf8)
        try "Sourdough needs flour, water and salt, and a starter fed the day before.\n".write(
            to: corpus.appending(path: "bread.txt"), atomically: true, encoding: .utf8)
        var configuration = try TestModels.serverConfiguration(parallel: 2, context: 2048, home: home)
        if postgres { configuration.databaseURL = try await TestPostgres.newDatabase() }
        let app = try await HearthApplication.build(configuration)
        try await app.test(.live) { live in
            let client = PatientClient(port: try #require(live.port))
            let ingest = #"{"collection":"coast","paths":["\#(corpus.path)"]}"#
            try await client.execute(uri: "/hearth/ingest", method: .post, body: ByteBuffer(string: ingest)) { response in
                #expect(response.status == .ok)
                let events = try String(buffer: response.body).split(separator: "\n").map {
                    try JSONDecoder().decode(KnowledgeWire.IngestEvent.self, from: Data($0.utf8))
                }
                #expect(events.first?.event == "started")
                #expect(events.last?.event == "finished")
                #expect(events.last?.job?.filesIngested == 2)
                #expect(events.last?.job?.status == .completed)
            }
            try FileManager.default.createDirectory(at: corpus.appending(path: ".keys"), withIntermediateDirectories: true)
            let hidden = #"{"collection":"coast","paths":["\#(corpus.path)/.keys"]}"#
            try await client.execute(uri: "/hearth/ingest", method: .post, body: ByteBuffer(string: hidden)) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("hidden"))
            }
            let outside = #"{"collection":"coast","paths":["/etc"]}"#
            try await client.execute(uri: "/hearth/ingest", method: .post, body: ByteBuffer(string: outside)) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("HEARTH_INGEST_ROOTS"))
            }
            let search = #"{"query":"Who lights the lamp?","collection":"coast","k":2}"#
            try await client.execute(uri: "/hearth/search", method: .post, body: ByteBuffer(string: search)) { response in
                #expect(response.status == .ok)
                let result = try JSONDecoder().decode(KnowledgeWire.SearchResponse.self, from: Data(buffer: response.body))
                #expect(result.hits.first?.text.contains("Ada Moreau") == true)
                #expect(result.hits.first?.heading == "Lighthouse keeping › Lamps")
                #expect(result.hits.first?.location.lines == [5, 5])
                #expect(result.hits.first?.path == corpus.appending(path: "lighthouse.md").path)
            }
            try await client.execute(
                uri: "/hearth/search", method: .post, body: ByteBuffer(string: #"{"query":"x","collection":"nope"}"#)
            ) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("collection 'nope' not found"))
            }
            let ask =
                #"{"question":"Who lights the lamp of the Brisk Point lighthouse?","collection":"coast","temperature":0,"max_tokens":60}"#
            try await client.execute(uri: "/hearth/ask", method: .post, body: ByteBuffer(string: ask)) { response in
                #expect(response.status == .ok)
                let answer = try JSONDecoder().decode(KnowledgeWire.AskResponse.self, from: Data(buffer: response.body))
                #expect(answer.sources.first?.text.contains("Ada Moreau") == true)
                #expect(answer.answer.contains("Sources:\n[1] \(corpus.path)/lighthouse.md — Lighthouse keeping › Lamps, line 5"))
                #expect(answer.usage.completionTokens > 0)
            }
            let nothing = #"{"question":"What is the airspeed of an unladen swallow?","collection":"coast","stream":true}"#
            try await client.execute(uri: "/hearth/ask", method: .post, body: ByteBuffer(string: nothing)) { response in
                var parser = ServerSentEvents.Parser()
                let payloads = parser.feed(String(buffer: response.body))
                #expect(payloads.last == "[DONE]")
                let events = try payloads.dropLast().map { try JSONDecoder().decode(KnowledgeWire.AskEvent.self, from: Data($0.utf8)) }
                #expect(events.first?.sources?.isEmpty == true)
                #expect(events.compactMap(\.delta).joined() == Answerer.nothingFound(["coast"]))
                #expect(events.last?.usage?.completionTokens == 0)
            }
            let chat =
                #"{"messages":[{"role":"user","content":"When does kerosene arrive?"}],"collections":["coast"],"temperature":0,"max_tokens":40}"#
            try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: chat)) { response in
                #expect(response.status == .ok)
                let completion = try JSONDecoder().decode(OpenAI.ChatCompletion.self, from: Data(buffer: response.body))
                #expect(
                    completion.choices[0].message.content.contains(
                        "Sources:\n[1] \(corpus.path)/lighthouse.md — Lighthouse keeping › Supplies"))
            }

            // The three APIs answer the same question the same way: one service does the work.
            let question = "When does kerosene arrive for the lamp?"
            var answers: [String] = []
            let openAI =
                #"{"messages":[{"role":"user","content":"\#(question)"}],"collections":["coast"],"temperature":0,"seed":1,"max_tokens":30}"#
            try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: openAI)) { response in
                answers.append(
                    try JSONDecoder().decode(OpenAI.ChatCompletion.self, from: Data(buffer: response.body)).choices[0].message.content)
            }
            let ollama =
                #"{"model":"smollm2:135m","messages":[{"role":"user","content":"\#(question)"}],"collections":["coast"],"stream":false,"options":{"temperature":0,"seed":1,"num_predict":30}}"#
            try await client.execute(uri: "/api/chat", method: .post, body: ByteBuffer(string: ollama)) { response in
                #expect(response.status == .ok)
                let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                answers.append(((object?["message"] as? [String: Any])?["content"] as? String) ?? "")
            }
            let native = #"{"question":"\#(question)","collection":"coast","temperature":0,"seed":1,"max_tokens":30}"#
            try await client.execute(uri: "/hearth/ask", method: .post, body: ByteBuffer(string: native)) { response in
                answers.append(try JSONDecoder().decode(KnowledgeWire.AskResponse.self, from: Data(buffer: response.body)).answer)
            }
            #expect(answers.count == 3)
            #expect(answers[0].contains("Sources:\n[1]"))
            #expect(Set(answers).count == 1, "\(answers)")
        }
    }
}
