import AsyncHTTPClient
import Foundation
import HearthCore
import HearthWire
import NIOCore
import NIOHTTP1
import NIOPosix

/// A typed client of a Hearth server's APIs, used by `hearth` and `aish`. Failures are
/// `HearthError`s: the server's own (code and message as it sent them), or `.unavailable`
/// when no server answers.
public struct HearthClient: Sendable {
    public let address: ServerAddress
    /// Sent as `Authorization: Bearer …` when set.
    public let apiKey: String?
    private let http: HTTPClient
    /// Why the stored session may not be sent (a token file others may read): every request
    /// but `isServing` fails with it.
    private let keyProblem: HearthError?

    /// The HTTP client every `HearthClient` uses unless given another: the shared event loops,
    /// 10 s to connect and no read timeout. A generation that is not streamed sends nothing
    /// until it is whole, which on a slow machine or a busy server can take minutes; each
    /// call's deadline bounds it instead (AsyncHTTPClient's shared client gives up after 90 s
    /// of silence, which `aish` reported as "no server answers").
    public static let http = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(timeout: .init(connect: .seconds(10), read: nil)))

    public init(address: ServerAddress, apiKey: String? = nil, http: HTTPClient = HearthClient.http) {
        self.init(address: address, apiKey: apiKey, http: http, keyProblem: nil)
    }

    private init(address: ServerAddress, apiKey: String?, http: HTTPClient, keyProblem: HearthError?) {
        self.address = address
        self.apiKey = apiKey
        self.http = http
        self.keyProblem = keyProblem
    }

    /// The server the configuration points at (`HEARTH_HOST`), with the key the CLI sends:
    /// `HEARTH_API_KEY`, else the first of `HEARTH_API_KEYS`, else the session token that
    /// `hearth login` stored (`Paths.sessionToken`) for this server. A token file that others may
    /// read is not used: requests then fail, saying how to fix it.
    public init(_ configuration: Configuration) {
        var key = configuration.keyToSend
        var problem: HearthError?
        if key == nil {
            do {
                // A session goes only to the server that issued it.
                key = try HearthClient.storedSession(at: configuration.paths.sessionToken).flatMap {
                    $0.server == configuration.address.url ? $0.token : nil
                }
            } catch {
                problem = (error as? HearthError) ?? HearthError(.internalError, "cannot read the session token: \(error)")
            }
        }
        self.init(address: configuration.address, apiKey: key, http: HearthClient.http, keyProblem: problem)
    }

    /// This client sending `key` (nil: none) in place of its own.
    func withKey(_ key: String?) -> HearthClient {
        HearthClient(address: address, apiKey: key, http: http)
    }

    /// Whether a Hearth server answers at the address within `timeout`.
    public func isServing(timeout: TimeAmount = .seconds(1)) async -> Bool {
        do {
            let response = try await http.execute(request("/health", method: .GET), timeout: timeout)
            _ = try await response.body.collect(upTo: 1 << 16)
            return response.status == .ok
        } catch {
            return false
        }
    }

    /// Whether anything accepts a TCP connection at the address within `timeout` (a server
    /// that is there but slow to answer, unlike a port nobody listens on).
    public func isListening(timeout: TimeAmount = .seconds(1)) async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout)
                .connect(host: address.host, port: address.port).get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }

    // MARK: - Requests

    /// Sends a request and decodes a JSON answer; the answer must start within `timeout`.
    /// - Throws: `HearthError` (the server's, or `.unreachable`).
    public func send<Answer: Decodable>(
        _ path: String, method: HTTPMethod = .GET, body: (some Encodable)? = String?.none, as: Answer.Type = Answer.self,
        timeout: TimeAmount = .minutes(5)
    ) async throws -> Answer {
        let data = try await collect(try await execute(path, method: method, body: body, deadline: .now() + timeout))
        do {
            return try JSONDecoder().decode(Answer.self, from: data)
        } catch {
            throw HearthError(.internalError, "the server at \(address) answered something that is not a Hearth answer")
        }
    }

    /// Sends a request whose answer has no body (`204 No Content`).
    /// - Throws: `HearthError` (the server's, or `.unreachable`).
    func perform(_ path: String, method: HTTPMethod, timeout: TimeAmount = .seconds(30)) async throws {
        _ = try await collect(try await execute(path, method: method, body: String?.none, deadline: .now() + timeout))
    }

    /// Sends a GET request and returns the answer's text.
    /// - Throws: `HearthError` (the server's, or `.unreachable`).
    func text(_ path: String, timeout: TimeAmount = .seconds(30)) async throws -> String {
        let response = try await execute(path, method: .GET, body: String?.none, deadline: .now() + timeout)
        return String(decoding: try await collect(response), as: UTF8.self)
    }

    /// `POST /mcp` with one JSON-RPC message: the server's JSON-RPC answer (an error object
    /// too), or nil for a notification (202).
    /// - Throws: `HearthError` when the server refuses the request itself (no key, a body too large).
    public func mcp(_ message: Data, timeout: TimeAmount = .minutes(10)) async throws -> Data? {
        if let keyProblem { throw keyProblem }
        var request = request("/mcp", method: .POST)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json, text/event-stream")
        request.body = .bytes(ByteBuffer(bytes: message))
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, deadline: .now() + timeout)
        } catch {
            throw HearthError(.unreachable, "no Hearth server answers at \(address) (start one with `hearth serve`)")
        }
        let data = try await collect(response)
        if response.status.code == 202 { return nil }
        // JSON-RPC answers come with any status; Hearth's own refusals are not JSON-RPC.
        if (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["jsonrpc"] != nil { return data }
        throw explained(refusal(response.status, data))
    }

    /// Sends a request whose answer streams, one JSON value per NDJSON line or SSE `data:`
    /// line (until `[DONE]`). A line carrying `{"error": …}` ends the stream with that error.
    public func stream<Event: Decodable & Sendable>(
        _ path: String, method: HTTPMethod = .POST, body: some Encodable & Sendable, as: Event.Type = Event.self
    ) -> AsyncThrowingStream<Event, any Error> {
        do {
            return stream(path, method: method, payload: try Payload.json(body))
        } catch {
            return AsyncThrowingStream { $0.finish(throwing: error) }
        }
    }

    /// `stream` with a body already encoded (a form).
    func stream<Event: Decodable & Sendable>(
        _ path: String, method: HTTPMethod = .POST, payload: Payload, as: Event.Type = Event.self
    ) -> AsyncThrowingStream<Event, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let response = try await execute(path, method: method, payload: payload, deadline: .distantFuture)
                    var lines = EventLines()
                    do {
                        for try await buffer in response.body {
                            for payload in lines.feed(buffer) { continuation.yield(try decodeEvent(Event.self, payload)) }
                            if lines.isDone { break }
                        }
                    } catch let error as HearthError {
                        throw error
                    } catch {
                        throw HearthError(.unreachable, "the connection to the server at \(address) broke: \(error)")
                    }
                    for payload in lines.finish() { continuation.yield(try decodeEvent(Event.self, payload)) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func decodeEvent<Event: Decodable>(_ type: Event.Type, _ payload: String) throws -> Event {
        let data = Data(payload.utf8)
        if let failure = try? JSONDecoder().decode(ErrorEnvelope.self, from: data), let error = failure.error {
            throw error.hearthError
        }
        do {
            return try JSONDecoder().decode(Event.self, from: data)
        } catch {
            throw HearthError(.internalError, "the server at \(address) streamed something that is not a Hearth event")
        }
    }

    /// A request body and its content type.
    struct Payload: Sendable {
        var contentType: String
        var bytes: Data

        static func json(_ value: some Encodable) throws -> Payload {
            Payload(contentType: "application/json", bytes: try JSONEncoder().encode(value))
        }
    }

    private func execute(_ path: String, method: HTTPMethod, body: (some Encodable)?, deadline: NIODeadline) async throws
        -> HTTPClientResponse
    {
        try await execute(path, method: method, payload: try body.map { try Payload.json($0) }, deadline: deadline)
    }

    func execute(_ path: String, method: HTTPMethod, payload: Payload?, deadline: NIODeadline) async throws -> HTTPClientResponse {
        if let keyProblem { throw keyProblem }
        var request = request(path, method: method)
        if let payload {
            request.headers.add(name: "Content-Type", value: payload.contentType)
            request.body = .bytes(ByteBuffer(bytes: payload.bytes))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, deadline: deadline)
        } catch {
            throw HearthError(.unreachable, "no Hearth server answers at \(address) (start one with `hearth serve`)", detail: "\(error)")
        }
        guard (200...299).contains(response.status.code) else {
            let data = (try? await collect(response)) ?? Data()
            throw explained(refusal(response.status, data))
        }
        return response
    }

    /// `error`, with a hint when a session token was refused: sessions end (12 hours, logout).
    private func explained(_ error: HearthError) -> HearthError {
        guard error.code == .unauthorized, apiKey?.hasPrefix(Self.sessionPrefix) == true else { return error }
        return HearthError(
            error.code, error.message + " (the session of `hearth login` has ended or is unknown here: run hearth login again)",
            field: error.field, detail: error.detail, retryAfter: error.retryAfter)
    }

    private func request(_ path: String, method: HTTPMethod) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: address.url + path)
        request.method = method
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        return request
    }

    /// The whole body; a connection that breaks is `.unreachable`.
    func collect(_ response: HTTPClientResponse) async throws -> Data {
        do {
            return Data(try await response.body.collect(upTo: 256 << 20).readableBytesView)
        } catch {
            throw HearthError(.unreachable, "the connection to the server at \(address) broke: \(error)")
        }
    }

    /// The error a refused request stands for: OpenAI's `{"error":{message,code}}`,
    /// Ollama's `{"error":"…"}`, or the status alone.
    private func refusal(_ status: HTTPResponseStatus, _ data: Data) -> HearthError {
        if let envelope = try? JSONDecoder().decode(ErrorEnvelope.self, from: data), let error = envelope.error {
            return error.hearthError
        }
        let code: HearthError.Code =
            switch status.code {
            case 400: .invalidRequest
            case 401: .unauthorized
            case 404: .notFound
            case 413: .bodyTooLarge
            case 503: .unavailable
            default: .internalError
            }
        return HearthError(code, "the server at \(address) answered \(status.code) \(status.reasonPhrase)")
    }
}

/// `{"error": …}` in any of the shapes Hearth sends: an object with a message and a code
/// (OpenAI's and Hearth's), or a string (Ollama's).
private struct ErrorEnvelope: Decodable {
    struct Detail: Decodable {
        var message: String
        var code: String?

        var hearthError: HearthError { HearthError(HearthError.Code(named: code ?? ""), message) }

        init(from decoder: any Decoder) throws {
            if let message = try? decoder.singleValueContainer().decode(String.self) {
                self.message = message
                return
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            message = try container.decode(String.self, forKey: .message)
            code = try? container.decode(String.self, forKey: .code)
        }

        enum CodingKeys: String, CodingKey { case message, code }
    }

    var error: Detail?
}

/// The JSON payloads in a streamed answer, as bytes arrive: NDJSON lines, or the `data:`
/// lines of server-sent events (other SSE fields and blank lines are skipped), until
/// `data: [DONE]`. A character split across two buffers is kept whole.
struct EventLines {
    private var pending = Data()
    /// Whether `[DONE]` has been seen: nothing after it counts.
    private(set) var isDone = false

    /// Adds received bytes; returns the payloads of the lines they completed.
    mutating func feed(_ buffer: ByteBuffer) -> [String] {
        buffer.withUnsafeReadableBytes { pending.append(contentsOf: $0) }
        var payloads: [String] = []
        while !isDone, let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
            pending.removeSubrange(pending.startIndex...newline)
            payloads += payload(line)
        }
        return payloads
    }

    /// The payload of a last line that had no newline.
    mutating func finish() -> [String] {
        defer { pending.removeAll() }
        return isDone ? [] : payload(String(decoding: pending, as: UTF8.self))
    }

    private mutating func payload(_ line: String) -> [String] {
        let line = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("data:") {
            let data = line.dropFirst(5).trimmingCharacters(in: .whitespaces)
            if data == "[DONE]" {
                isDone = true
                return []
            }
            return data.isEmpty ? [] : [data]
        }
        // Blank lines end SSE events; `event:`, `id:`, `retry:` and `:` comments carry no JSON.
        return line.isEmpty || !line.hasPrefix("{") ? [] : [line]
    }
}
