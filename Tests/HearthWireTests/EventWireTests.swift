import Foundation
import HearthCore
import Testing

@testable import HearthWire

/// Events as another replica sends them through NATS, read back.
struct EventWireTests {
    @Test func requestsModelChangesAndIngestionsComeBackAsTheyWere() throws {
        let time = Date(timeIntervalSince1970: 1_764_000_000.25)
        let bodies: [HearthEvent.Body] = [
            .request(
                RequestSummary(
                    id: "r1", method: "POST", route: "/v1/chat/completions", status: 200, milliseconds: 12.5, model: "smollm2:135m",
                    promptTokens: 9, completionTokens: 4, user: "ada", provider: "local", firstTokenMilliseconds: 3.5)),
            .model(ModelChange(name: "gemma3:270m", action: .loaded, memoryBytes: 1 << 28, seconds: 1.25)),
            .ingestion(
                IngestionProgress(collection: "notes", job: 7, status: .inProgress, filesDone: 2, filesTotal: 5, chunks: 40)),
        ]
        for body in bodies {
            let sent = HearthEvent(body, ownerID: 7, time: time)
            let json = try EventWire.json(sent)
            let received = try #require(EventWire.event(Data(json.utf8), ownerID: 7, origin: "replica-b"))
            // The same JSON, whatever the order of its keys.
            let (before, after) = (try Self.object(json), try Self.object(try EventWire.json(received)))
            #expect(before == after, "\(json)")
            #expect(received.ownerID == 7 && received.origin == "replica-b" && received.time == time)
        }
    }

    static func object(_ json: String) throws -> NSDictionary? {
        try JSONSerialization.jsonObject(with: Data(json.utf8)) as? NSDictionary
    }

    @Test func statsAndWhatIsNoEventAreLeftOut() throws {
        let stats = try EventWire.json(HearthEvent(.stats([])))
        #expect(EventWire.event(Data(stats.utf8), ownerID: nil, origin: "b") == nil)
        for junk in [
            "", "{}", #"{"type":"request","time":1,"data":{}}"#,
            #"{"type":"model","time":1,"data":{"name":"m","action":"exploded","memory_bytes":1}}"#,
        ] {
            #expect(EventWire.event(Data(junk.utf8), ownerID: nil, origin: "b") == nil, "\(junk)")
        }
    }
}
