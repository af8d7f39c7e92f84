import HearthCore
import HearthProviders
import HearthServices
import HearthTesting
import Testing

/// Who hears which event on `/hearth/events`: a user their own requests and ingestions, an
/// administrator all of them (and sign-in attempts), everyone the model activity and the loads
/// of the models they may use.
struct EventServiceTests {
    let bus = MemoryEventBus()
    let events: EventService

    init() {
        let provider = ScriptedProvider()
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model)
        events = EventService(bus: bus, system: Services(pipeline: pipeline).system)
    }

    static func user(_ id: Int64, _ name: String, models: [String]? = nil) -> Principal {
        let user = User(id: id, name: name, role: .user)
        return Principal(
            user: user, role: .user, key: models.map { APIKey(id: "key_\(name)", userID: id, label: "", prefix: "", models: $0) })
    }

    static func request(by user: String) -> RequestSummary {
        RequestSummary(
            id: user, method: "POST", route: "/v1/chat/completions", status: 200, milliseconds: 1, model: "m", promptTokens: 1,
            completionTokens: 1, user: user, provider: "local")
    }

    /// The request ids a listener hears before the next model activity event, and that event's models.
    static func heard(_ stream: AsyncCompactMapSequence<AsyncStream<HearthEvent>, HearthEvent>) async -> ([String], [String]) {
        var ids: [String] = []
        for await event in stream {
            switch event.body {
            case .request(let summary): ids.append(summary.id)
            case .stats(let models): return (ids, models.map(\.name))
            case .model(let change): ids.append("model \(change.name)")
            case .ingestion(let progress): ids.append("ingestion \(progress.collection)")
            }
        }
        return (ids, [])
    }

    @Test func eachListenerHearsWhatIsTheirs() async throws {
        let alice = Self.user(2, "alice")
        let bob = Self.user(3, "bob", models: ["other:1"])
        let admin = Principal(user: User(id: 1, name: "root", role: .admin), role: .admin)
        let streams = [alice, bob, admin].map { events.events(topics: nil, by: $0) }
        let requestsOnly = events.events(topics: ["request"], by: admin)
        events.requestAnswered(Self.request(by: "alice"), by: alice)
        events.requestAnswered(Self.request(by: "bob"), by: bob)
        events.requestAnswered(Self.request(by: "anonymous"), by: nil)
        for name in ["m:latest", "other:1"] { bus.publish(HearthEvent(.model(ModelChange(name: name, action: .loaded, memoryBytes: 1)))) }
        bus.publish(
            HearthEvent(
                .ingestion(IngestionProgress(collection: "notes", status: .completed, filesDone: 1, filesTotal: 1, chunks: 3)), ownerID: 2))
        bus.publish(HearthEvent(.stats([LoadedModel(name: "m:latest", provider: "local", activity: ModelActivity())])))
        let (aliceHeard, aliceModels) = await Self.heard(streams[0])
        let (bobHeard, bobModels) = await Self.heard(streams[1])
        let (adminHeard, adminModels) = await Self.heard(streams[2])
        #expect(aliceHeard == ["alice", "model m:latest", "model other:1", "ingestion notes"] && aliceModels == ["m:latest"])
        #expect(bobHeard == ["bob", "model other:1"] && bobModels == [], "bob's key may use other:1 only; the collection is alice's")
        #expect(
            adminHeard == ["alice", "bob", "anonymous", "model m:latest", "model other:1", "ingestion notes"] && adminModels == ["m:latest"]
        )
        events.requestAnswered(Self.request(by: "last"), by: admin)
        var ids: [String] = []
        for await event in requestsOnly {
            guard case .request(let summary) = event.body else { Issue.record("a stats event on a request-only stream"); break }
            ids.append(summary.id)
            if summary.id == "last" { break }
        }
        #expect(ids == ["alice", "bob", "anonymous", "last"])
    }

    @Test func aLoadFailureIsExplainedToAdministratorsAndAKeyHearsOfItsCollectionsOnly() async {
        let admin = Principal(user: User(id: 1, name: "root", role: .admin), role: .admin)
        let alice = Self.user(2, "alice")
        let notesOnly = Principal(
            user: User(id: 2, name: "alice", role: .user), role: .user,
            key: APIKey(id: "key_notes", userID: 2, label: "", prefix: "", collections: ["notes"]))
        let streams = [admin, alice, notesOnly].map { events.events(topics: ["model", "ingestion"], by: $0) }
        bus.publish(
            HearthEvent(.model(ModelChange(name: "m:latest", action: .failed, memoryBytes: 1, error: "cannot open /srv/secret/m.gguf"))))
        for collection in ["diary", "notes"] {
            bus.publish(
                HearthEvent(
                    .ingestion(IngestionProgress(collection: collection, status: .completed, filesDone: 1, filesTotal: 1, chunks: 1)),
                    ownerID: 2))
        }
        events.close()
        var heard: [[String]] = []
        for stream in streams {
            var lines: [String] = []
            for await event in stream {
                switch event.body {
                case .model(let change): lines.append("model \(change.error ?? "")")
                case .ingestion(let progress): lines.append("ingestion \(progress.collection)")
                default: break
                }
            }
            heard.append(lines)
        }
        #expect(heard[0] == ["model cannot open /srv/secret/m.gguf", "ingestion diary", "ingestion notes"])
        #expect(heard[1] == ["model the model could not be loaded", "ingestion diary", "ingestion notes"])
        #expect(heard[2] == ["model the model could not be loaded", "ingestion notes"])
    }

    @Test func nothingIsPublishedToNobodyAndClosingEndsTheStreams() async {
        events.requestAnswered(Self.request(by: "alice"), by: Self.user(2, "alice"))
        let stream = events.events(topics: nil, by: Self.user(2, "alice"))
        events.close()
        var count = 0
        for await _ in stream { count += 1 }
        #expect(count == 0, "an event from before the subscription, or the stream did not end")
    }
}
