import Foundation
import HTTPTypes
import HearthCore
import HearthProviders
import HearthServer
import HearthTesting
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HearthServices

/// The semantic cache around the chat service (the scripted provider's embeddings make every
/// question look alike, so the content gate decides), and the content gate itself.
struct SemanticCacheTests {
    @Test func aQuestionMeaningTheSameGetsTheAnswerOfItsCallerOnly() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "semantic-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let stores = try TestStores(in: folder)
        let provider = ScriptedProvider(pieces: ["Use", " reversed()"])
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model)
        let services = Services(
            pipeline: pipeline, identity: stores.identity, answerCache: MemoryAnswerCache(capacityBytes: 1 << 20),
            semanticCache: MemorySemanticCache(capacityBytes: 1 << 20))
        let metrics = Metrics()
        let app = Application(router: HTTPServer.router(services: services, metrics: metrics, maxBodyBytes: 1 << 20))
        let (admin, alice, bob) = try await IsolationTests.people(stores.identity)
        try await app.test(.router) { client in
            func ask(_ key: String, _ question: String, semantic: Bool = true, turns: String = "") async throws -> (String?, String) {
                var headers: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/json"]
                if semantic { headers[HTTPField.Name("X-Hearth-Cache")!] = "semantic" }
                let body = #"{"messages":[\#(turns){"role":"user","content":"\#(question)"}],"temperature":0.7}"#
                return try await client.execute(
                    uri: "/v1/chat/completions", method: .post, headers: headers, body: ByteBuffer(string: body)
                ) {
                    ($0.headers[HTTPField.Name("X-Hearth-Provider")!], String(buffer: $0.body))
                }
            }
            #expect(try await ask(alice, "How do I reverse a list in Python?").0 == "scripted")
            let (provider2, body) = try await ask(alice, "what is the way to reverse a list in python")
            #expect(provider2 == "cache" && body.contains("reversed()"), "\(body)")
            // Another meaning, another caller, no opt-in, or more than one turn: the model answers.
            #expect(try await ask(alice, "How do I not reverse a list in Python?").0 == "scripted")
            #expect(try await ask(alice, "How do I reverse a list in Rust?").0 == "scripted")
            #expect(try await ask(alice, "How do I sort a list in Python?").0 == "scripted")
            #expect(try await ask(bob, "what is the way to reverse a list in python").0 == "scripted")
            #expect(try await ask(alice, "what is the way to reverse a list in python", semantic: false).0 == "scripted")
            #expect(
                try await ask(
                    alice, "what is the way to reverse a list in python",
                    turns: #"{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},"#
                )
                .0 == "scripted")
            #expect(provider.requests.count == 7)
            let text = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(admin)"]) {
                String(buffer: $0.body)
            }
            #expect(text.contains(#"hearth_cache_lookups_total{kind="semantic",result="hit"} 1"#), "\(text)")
            #expect(text.contains(#"hearth_cache_lookups_total{kind="semantic",result="miss"} 5"#))
        }
    }

    @Test(arguments: [
        ("How do I reverse a list in Python?", "what's the way to reverse a python list", true),
        ("does the dog chase the cat", "does the cat chase the dog", false),
        ("Can a guest see the admin's files?", "can the admin see a guest's files", false),
        ("What's the capital of France?", "France's capital?", true),
        ("Convert 5 miles to km", "convert five miles to km", true),
        ("convert celsius to fahrenheit", "convert fahrenheit to celsius", false),
        ("Does numpy depend on scipy?", "Does scipy depend on numpy?", false),
        ("Is coffee bad for you?", "Isn't coffee bad for you?", false),
        ("Is coffee bad for you?", "is coffee good for you", false),
        ("boil an egg for 5 minutes", "boil an egg for 6 minutes", false),
        ("What is the capital of France?", "what is the capital of spain", false),
        ("What's the capital of France?", "capital of France?", true),
        ("How do I make tea without sugar", "How do I make tea with sugar", false),
        ("show me the first line of a file", "show me the last line of a file", false),
        ("What version is node.js 18 in?", "what version is node.js 20 in", false),
    ])
    func theContentGate(_ first: String, _ second: String, _ agrees: Bool) {
        #expect(QuestionContent(first).mayShareAnswer(with: QuestionContent(second)) == agrees)
        #expect(QuestionContent(second).mayShareAnswer(with: QuestionContent(first)) == agrees)
    }
}
