import Foundation
import HearthCore
import HearthTesting
import NIOCore
import Synchronization
import Testing

@testable import HearthNATS

/// The NATS protocol byte by byte, and the client against a real nats-server.
struct NATSWireTests {
    static func read(_ text: String) throws -> (NATSFrame?, Int) {
        var buffer = ByteBuffer(string: text)
        let frame = try NATSWire.read(from: &buffer)
        return (frame, buffer.readableBytes)
    }

    @Test func framesAreRead() throws {
        #expect(try Self.read("PING\r\n").0 == .ping)
        #expect(try Self.read("+OK\r\n").0 == .ok)
        #expect(try Self.read("-ERR 'Authorization Violation'\r\n").0 == .error("Authorization Violation"))
        #expect(try Self.read("MSG a.b 7 5\r\nhello\r\n").0 == .message(NATSMessage(subject: "a.b", payload: Array("hello".utf8)), sid: 7))
        #expect(
            try Self.read("MSG a 1 _INBOX.x 0\r\n\r\n").0 == .message(NATSMessage(subject: "a", replyTo: "_INBOX.x", payload: []), sid: 1))
        let headered = "NATS/1.0\r\nTrace: on\r\n\r\n"
        let (frame, left) = try Self.read("HMSG s 2 r \(headered.utf8.count) \(headered.utf8.count + 2)\r\n\(headered)hi\r\n")
        #expect(left == 0)
        guard case .message(let message, 2) = frame else { Issue.record("\(String(describing: frame))"); return }
        #expect(message.header("trace") == "on" && message.payload == Array("hi".utf8) && message.replyTo == "r")
        let (status, _) = try Self.read("HMSG s 3 16 16\r\nNATS/1.0 503\r\n\r\n\r\n")
        guard case .message(let noOne, _) = status else { Issue.record("\(String(describing: status))"); return }
        #expect(noOne.status == 503)
    }

    @Test func aFrameCutAnywhereWaitsForTheRest() throws {
        let whole = "MSG a.b 7 r 5\r\nhello\r\n"
        for cut in 0..<whole.utf8.count {
            let (frame, left) = try Self.read(String(decoding: Array(whole.utf8)[..<cut], as: UTF8.self))
            #expect(frame == nil && left == cut, "cut at \(cut)")
        }
    }

    @Test func whatIsNotNATSIsAnError() {
        for text in ["HELLO\r\n", "MSG a b c\r\nx\r\n", "MSG a 1 -3\r\n", "HMSG a 1 9 4\r\n"] {
            #expect(throws: NATSWire.ProtocolError.self, "\(text.debugDescription)") { _ = try Self.read(text) }
        }
    }

    @Test func publishingWritesHeadersOnlyWhenThereAreSome() {
        var plain = ByteBuffer()
        NATSWire.publish(NATSMessage(subject: "s", replyTo: "r", payload: Array("abc".utf8)), into: &plain)
        #expect(String(buffer: plain) == "PUB s r 3\r\nabc\r\n")
        var headered = ByteBuffer()
        NATSWire.publish(NATSMessage(subject: "s", headers: [("K", "v")], payload: Array("abc".utf8)), into: &headered)
        #expect(String(buffer: headered) == "HPUB s 18 21\r\nNATS/1.0\r\nK: v\r\n\r\nabc\r\n")
    }
}

@Suite(.enabled(if: TestNATS.isInstalled, "nats-server is not installed: run `make nats`"))
struct NATSClientTests {
    @Test func publishedMessagesReachSubscribersAndQueueGroupsShareThem() async throws {
        let url = try await TestNATS.url()
        let (a, b) = (try await NATSClient.connect(to: url), try await NATSClient.connect(to: url))
        defer { a.close(); b.close() }
        let topic = "test." + randomID()
        let everything = try a.subscribe(to: topic + ".>").messages
        let group1 = try a.subscribe(to: topic + ".work", queue: "workers").messages
        let group2 = try b.subscribe(to: topic + ".work", queue: "workers").messages
        try await a.flush()
        try await b.flush()
        for i in 0..<20 { try b.publish(Array("job \(i)".utf8), to: topic + ".work", headers: [("Index", "\(i)")]) }
        try await b.flush()
        var seen: [String] = []
        for await message in everything {
            seen.append(String(decoding: message.payload, as: UTF8.self))
            #expect(message.header("index") == "\(seen.count - 1)")
            if seen.count == 20 { break }
        }
        #expect(seen == (0..<20).map { "job \($0)" })
        // Each job went to exactly one member of the queue group.
        let counts = try await Self.drain([group1, group2])
        #expect(counts.reduce(0, +) == 20)
    }

    /// How many messages each stream holds now (waiting a moment for the last).
    static func drain(_ streams: [AsyncStream<NATSMessage>]) async throws -> [Int] {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for stream in streams {
                group.addTask {
                    var count = 0
                    let reader = Task {
                        for await _ in stream { count += 1 }
                        return count
                    }
                    try await Task.sleep(for: .milliseconds(300))
                    reader.cancel()
                    return await reader.value
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func aRequestGetsItsAnswerAndNoAnswererIsAClearError() async throws {
        let url = try await TestNATS.url()
        let (server, client) = (try await NATSClient.connect(to: url), try await NATSClient.connect(to: url))
        defer { server.close(); client.close() }
        let subject = "test." + randomID()
        let requests = try server.subscribe(to: subject).messages
        try await server.flush()
        let answering = Task {
            for await request in requests {
                try server.reply(to: request, with: Array(request.payload.reversed()), headers: [("Answered", "yes")])
            }
        }
        defer { answering.cancel() }
        let answers = try await withThrowingTaskGroup(of: (String, NATSMessage).self) { group in
            for i in 0..<50 {
                group.addTask { ("\(i)-abc", try await client.request(Array("\(i)-abc".utf8), to: subject)) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (sent, answer) in answers {
            #expect(String(decoding: answer.payload, as: UTF8.self) == String(sent.reversed()))
            #expect(answer.header("Answered") == "yes")
        }
        let error = await #expect(throws: HearthError.self) { try await client.request([], to: "test.nobody." + randomID()) }
        #expect(error?.message.contains("no one answers") == true)
    }

    @Test func aTokenIsSentAndAWrongOneIsRefused() async throws {
        let (url, stop) = try await TestNATS.start(["--auth", "s3cret"])
        defer { Task { await stop() } }
        let good = try await NATSClient.connect(to: url.replacingOccurrences(of: "nats://", with: "nats://s3cret@"))
        good.close()
        let error = await #expect(throws: HearthError.self) {
            _ = try await NATSClient.connect(to: url.replacingOccurrences(of: "nats://", with: "nats://wrong@"))
        }
        #expect(
            error?.message.contains("refused") == true || error?.message.contains("Authorization") == true, "\(String(describing: error))")
        #expect("\(String(describing: error))".contains("wrong") == false)
    }

    @Test func aClientConnectsAgainAndKeepsItsSubscriptionsWhenTheServerComesBack() async throws {
        let port = try FreePort.find()
        let (url, stop) = try await TestNATS.start(port: port)
        let listener = try await NATSClient.connect(to: url)
        defer { listener.close() }
        let subject = "test." + randomID()
        let messages = try listener.subscribe(to: subject).messages
        try await listener.flush()
        await stop()
        #expect(throws: HearthError.self) { try listener.publish([1], to: subject) }
        let (_, stopAgain) = try await TestNATS.start(port: port)
        defer { Task { await stopAgain() } }
        let publisher = try await NATSClient.connect(to: url)
        defer { publisher.close() }
        // Once the listener is back (within its growing pause), what is published reaches it.
        let got = Mutex<NATSMessage?>(nil)
        let reader = Task {
            for await message in messages {
                got.withLock { $0 = message }
                return
            }
        }
        defer { reader.cancel() }
        let deadline = ContinuousClock.now + .seconds(10)
        while got.withLock({ $0 }) == nil, ContinuousClock.now < deadline {
            try publisher.publish(Array("back".utf8), to: subject)
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(got.withLock { $0 }.map { String(decoding: $0.payload, as: UTF8.self) } == "back")
    }

    @Test func badURLsAndSubjectsAreRefused() async throws {
        for url in ["http://x", "tls://host", "nats://"] {
            #expect(throws: HearthError.self, "\(url)") { _ = try NATSClient.Address(url: url) }
        }
        #expect(try NATSClient.Address(url: "nats://u:p@h:5").password == "p")
        #expect(try NATSClient.Address(url: "nats://tok@h").token == "tok")
        let client = try await NATSClient.connect(to: try await TestNATS.url())
        defer { client.close() }
        for subject in ["", "a..b", "a b", "a.>"] {
            #expect(throws: HearthError.self, "\(subject)") { try client.publish([], to: subject) }
        }
    }
}
