import Foundation
import Glibc
import HTTPTypes
import HearthCore
import HearthProviders
import HearthSQLite
import HearthServer
import HearthServices
import HearthTesting
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import NIOWebSocket
import Synchronization
import Testing

/// `/hearth/ws` over a real socket: who may open one, events by topic, chats streamed as over
/// HTTP (through the same routes), and bad messages answered without closing the socket.
/// Each test talks for seconds; one that waits minutes is stuck, and fails by name.
@Suite(.timeLimit(.minutes(2))) struct SocketRoutesTests {
    let folder = FileManager.default.temporaryDirectory.appending(path: "socket-\(UUID().uuidString)")

    /// An identity with an administrator and bob (with a key); the key's secret.
    func identity() async throws -> (IdentityService, String) {
        let store = try SQLiteKnowledgeStore(
            path: folder.appending(path: "knowledge.sqlite"), indexFolder: folder.appending(path: "vectors"))
        let identityStore = SQLiteIdentityStore(store)
        let identity = IdentityService(
            store: identityStore, audit: identityStore, secret: try IdentityService.secret(at: folder.appending(path: "server.secret")))
        _ = try await identity.bootstrap(admin: "root")
        _ = try await identity.createUser("bob", role: .user, by: .operator)
        try await identity.setPassword("correct horse battery", user: "bob", by: .operator)
        let (_, key) = try await identity.createKey(
            for: "bob", label: "", expiresIn: nil, models: nil, collections: nil, limits: Limits(), by: .operator)
        return (identity, key)
    }

    func app(_ identity: IdentityService, recheck: Duration = .seconds(30)) throws -> some ApplicationProtocol {
        let provider = ScriptedProvider()
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model)
        let conversations = SQLiteIdentityStore(
            try SQLiteKnowledgeStore(path: folder.appending(path: "knowledge.sqlite"), indexFolder: folder.appending(path: "vectors")))
        let services = Services(pipeline: pipeline, identity: identity, conversations: conversations)
        let router = HTTPServer.router(services: services, metrics: Metrics(), maxBodyBytes: 1 << 20)
        return Application(
            router: router,
            server: HTTPServer.http1(
                webSockets: HTTPServer.socketRouter(services: services, http: router, maxBodyBytes: 1 << 20, recheck: recheck),
                maxBodyBytes: 1 << 20))
    }

    /// Opens `/hearth/ws`, sends `messages`, and reads until `done` holds for what came (or
    /// the server closes, or 10 s pass); returns the messages received and the server's close code.
    static func converse(
        port: Int, headers: HTTPFields = [:], send messages: [String], until done: @escaping @Sendable ([JSONObject]) -> Bool
    ) async throws -> ([JSONObject], WebSocketErrorCode?) {
        let received = Mutex<[JSONObject]>([])
        let close = try await WebSocketClient.connect(
            url: "ws://127.0.0.1:\(port)/hearth/ws", configuration: .init(additionalHeaders: headers),
            logger: Logger(label: "test")
        ) { inbound, outbound, _ in
            for message in messages { try await outbound.write(.text(message)) }
            // What has not come in 10 s is not coming: the test fails instead of hanging.
            let timer = Task { try await Task.sleep(for: .seconds(10)) }
            defer { timer.cancel() }
            Task {
                _ = await timer.result
                if !timer.isCancelled { try await outbound.close(.normalClosure, reason: "the test gave up waiting") }
            }
            for try await message in inbound.messages(maxSize: 1 << 20) {
                guard case .text(let text) = message else { continue }
                let all = received.withLock {
                    $0.append(JSONObject(text))
                    return $0
                }
                if done(all) { break }
            }
        }
        return (received.withLock { $0 }, close?.closeCode)
    }

    /// Opens `/hearth/ws` on a plain socket and reads what the server sends until its close
    /// frame: the text messages and the close code. A refusal comes right behind the upgrade's
    /// answer, and HummingbirdWSClient can lose frames that arrive with that answer and then
    /// wait forever (a quarter of runs here); this reads the bytes as they come.
    static func refusal(port: Int, headers: [String: String] = [:]) async throws -> ([JSONObject], UInt16?) {
        try await onOwnThread("socket-test") {
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard socket >= 0 else { throw HearthError(.internalError, "no socket") }
            defer { close(socket) }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)  // what has not come in 10 s is not coming
            setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw HearthError(.internalError, "cannot connect to port \(port)") }
            var request = "GET /hearth/ws HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            for (field, value) in headers { request += "\(field): \(value)\r\n" }
            request += "\r\n"
            _ = Array(request.utf8).withUnsafeBytes { write(socket, $0.baseAddress, $0.count) }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let (messages, close) = Self.frames(in: bytes)
                if close != nil { return (messages, close) }
                let count = read(socket, &buffer, buffer.count)
                guard count > 0 else { return (messages, nil) }
                bytes += buffer[0..<count]
            }
        }
    }

    /// The text messages, and the close code once the close frame is whole (1005 when it has
    /// none), in what a server sent: its `101` answer to the upgrade, then frames. A server's
    /// frames are not masked: opcode, length (7 bits, or 126 then 16 bits), payload; text is
    /// 1, close 8 (its code first).
    static func frames(in bytes: [UInt8]) -> ([JSONObject], UInt16?) {
        guard bytes.starts(with: Array("HTTP/1.1 101".utf8)), let head = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else {
            return ([], nil)
        }
        var messages: [JSONObject] = []
        var rest = bytes[head.upperBound...]
        while rest.count >= 2 {
            let start = rest.startIndex
            let short = Int(rest[start + 1] & 0x7f)
            let offset = short == 126 ? 4 : 2
            guard rest.count >= offset else { break }
            let length = short == 126 ? Int(rest[start + 2]) << 8 | Int(rest[start + 3]) : short
            guard rest.count >= offset + length else { break }
            let payload = Array(rest.dropFirst(offset).prefix(length))
            switch rest[start] & 0x0f {
            case 1: messages.append(JSONObject(String(decoding: payload, as: UTF8.self)))
            case 8: return (messages, payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : 1005)
            default: break
            }
            rest = rest.dropFirst(offset + length)
        }
        return (messages, nil)
    }

    /// Whether messages of each of `types` came.
    static func holds(_ types: Set<String>) -> @Sendable ([JSONObject]) -> Bool {
        { all in types.isSubset(of: Set(all.compactMap(\.type))) }
    }

    /// A received message, its fields read as needed.
    struct JSONObject: Sendable, CustomStringConvertible {
        let text: String
        init(_ text: String) { self.text = text }
        var object: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
        var type: String? { object["type"] as? String }
        var id: String? { object["id"] as? String }
        var status: Int? { object["status"] as? Int }
        var message: String { ((object["error"] as? [String: Any])?["message"] as? String) ?? "" }
        var description: String { text }
    }

    @Test func aSocketWithoutASignInOrFromAnotherSiteIsToldWhyAndClosed() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let (identity, key) = try await identity()
        try await app(identity).test(.live) { client in
            let port = try #require(client.port)
            let (anonymous, anonymousClose) = try await Self.refusal(port: port)
            #expect(anonymous.count == 1 && anonymous.first?.type == "error" && anonymous.first?.status == 401, "\(anonymous)")
            #expect(anonymousClose == 1008, "policy violation")
            // Signed in by the cookie, from a page that is not this server's, as a browser
            // would send it (this client adds its own `Origin: ws://127.0.0.1`, a non-browser's).
            let cookie = try await client.execute(
                uri: "/hearth/auth/login", method: .post, body: ByteBuffer(string: #"{"name":"bob","password":"correct horse battery"}"#)
            ) { try #require($0.headers[.setCookie]?.split(separator: ";").first.map(String.init)) }
            let (foreign, foreignClose) = try await Self.refusal(port: port, headers: ["Cookie": cookie, "Origin": "http://evil.example"])
            #expect(foreign.first?.status == 403 && foreign.first?.message.contains("page of this server") == true, "\(foreign)")
            #expect(foreignClose == 1008, "policy violation")
            try await client.execute(uri: "/hearth/ws", method: .get, headers: [.authorization: "Bearer \(key)"]) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("Upgrade: websocket"))
            }
        }
    }

    @Test func aChatStreamsOverTheSocketThroughTheHTTPRoutesAndItsRequestIsAnEvent() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let (identity, key) = try await identity()
        try await app(identity).test(.live) { client in
            let port = try #require(client.port)
            let chat = #"{"model":"scripted:test","messages":[{"role":"user","content":"hi"}],"conversation":"new"}"#
            let (received, _) = try await Self.converse(
                port: port, headers: [.authorization: "Bearer \(key)"],
                send: [#"{"type":"subscribe","topics":["request"]}"#, #"{"type":"chat","id":"a","body":\#(chat)}"#],
                until: Self.holds(["chat.end", "event"]))
            #expect(received.first?.type == "subscribed")
            let start = try #require(received.first { $0.type == "chat.start" })
            #expect(start.id == "a" && (start.object["conversation"] as? String)?.hasPrefix("conv_") == true, "kept as over HTTP")
            let text = received.filter { $0.type == "chat.chunk" }.compactMap { message -> String? in
                let data = message.object["data"] as? [String: Any]
                let choice = (data?["choices"] as? [[String: Any]])?.first
                return (choice?["delta"] as? [String: Any])?["content"] as? String
            }.joined()
            #expect(text == "Hello, world")
            #expect(received.first { $0.type == "chat.end" }?.object["cancelled"] as? Bool == false)
            let event = try #require(received.first { $0.type == "event" }?.object["event"] as? [String: Any])
            let data = try #require(event["data"] as? [String: Any])
            #expect(event["type"] as? String == "request")
            #expect(data["route"] as? String == "/v1/chat/completions" && data["user"] as? String == "bob" && data["status"] as? Int == 200)
        }
    }

    @Test func badMessagesAreAnsweredAndTheSocketStaysOpen() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let (identity, key) = try await identity()
        try await app(identity).test(.live) { client in
            let port = try #require(client.port)
            let (received, _) = try await Self.converse(
                port: port, headers: [.authorization: "Bearer \(key)"],
                send: [
                    "not json", #"{"type":"dance"}"#, #"{"type":"subscribe","topics":["gossip"]}"#,
                    #"{"type":"chat","body":{"messages":[]}}"#,
                    #"{"type":"chat","id":"m","body":{"model":"missing:1","messages":[{"role":"user","content":"hi"}]}}"#,
                    #"{"type":"chat","id":"x","body":[]}"#, #"{"type":"cancel","id":"nope"}"#,
                    #"{"type":"ping"}"#,
                ],
                until: { (all: [JSONObject]) -> Bool in
                    let pong = all.contains { $0.type == "pong" }
                    return pong && all.contains { $0.id == "m" }
                })
            let errors = received.filter { $0.type == "error" }
            #expect(errors.count == 7, "\(received)")
            #expect(errors.contains { $0.status == 400 && $0.message.contains("not valid JSON") })
            #expect(errors.contains { $0.message.contains("'dance'") })
            #expect(errors.contains { $0.message.contains("request, stats") })
            #expect(errors.contains { $0.message.contains("'id'") })
            #expect(errors.contains { $0.id == "m" && $0.status == 404 && $0.message.contains("missing:1") })
            // A refused chat and a cancel of no chat name the chat: its client stops waiting.
            #expect(errors.contains { $0.id == "x" && $0.status == 400 && $0.message.contains("'body'") })
            #expect(errors.contains { $0.id == "nope" && $0.status == 404 })
        }
    }

    @Test func revokingTheKeyOfAnOpenSocketClosesIt() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let (identity, _) = try await identity()
        let (made, key) = try await identity.createKey(
            for: "bob", label: "socket", expiresIn: nil, models: nil, collections: nil, limits: Limits(), by: .operator)
        try await app(identity, recheck: .milliseconds(200)).test(.live) { client in
            let port = try #require(client.port)
            let revoking = Task {
                try await Task.sleep(for: .milliseconds(500))
                _ = try await identity.revokeKey(made.id, by: .operator)
            }
            let (received, close) = try await Self.converse(
                port: port, headers: [.authorization: "Bearer \(key)"], send: [#"{"type":"subscribe","topics":["stats"]}"#],
                until: { _ in false })
            try await revoking.value
            #expect(received.first?.type == "subscribed")
            #expect(received.last?.type == "error" && received.last?.status == 401, "\(received)")
            #expect(close == .policyViolation, "the socket outlived its key")
        }
    }
}
