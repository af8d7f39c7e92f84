import AsyncHTTPClient
import Foundation
import HearthCore
import NIOCore
import NIOHTTP1

/// A remote server a provider talks to: its address, key and headers, and the connections
/// shared by all providers (a refused connection fails at once, so that the router passes the
/// request on, instead of being retried until the deadline; connecting may take 5 seconds).
struct Upstream: Sendable {
    let name: String
    let baseURL: String
    let apiKey: String?
    let headers: [String: String]
    /// Seconds to wait for the first byte.
    let firstByteTimeout: Int64
    let http: HTTPClient

    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// POSTs `body` and returns the response once its head arrived with a 2xx status.
    /// - Throws: `HearthError` for what the upstream answered (429 keeps its Retry-After)
    ///   or `.unreachable` when it does not answer.
    func send(_ path: String, body: Data) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        for (field, value) in headers { request.headers.add(name: field, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        var sent: HTTPClientResponse?
        // Three times at most: a kept-alive connection the upstream had closed while idle
        // (llama-server closes them after 5 s; a restarted upstream leaves several), or one
        // closed before the request could be written, gets another try, on another one.
        for attempt in 0..<3 where sent == nil {
            do {
                sent = try await http.execute(request, deadline: .now() + .seconds(firstByteTimeout))
            } catch let error where Self.closedBeforeAnswering(error) && attempt < 2 && !Task.isCancelled {
                continue
            } catch {
                if Task.isCancelled || error is CancellationError { throw CancellationError() }
                // The cause (refused, timed out, closed) goes into the detail, for the log.
                throw HearthError(.unreachable, "the provider \(name) does not answer (\(baseURL))", detail: "\(error)")
            }
        }
        guard let response = sent else { throw HearthError(.unreachable, "the provider \(name) does not answer (\(baseURL))") }
        guard (200...299).contains(response.status.code) else {
            let data = (try? await response.body.collect(upTo: 1 << 20)).map { Data($0.readableBytesView) } ?? Data()
            throw refusal(response.status, retryAfter: response.headers.first(name: "Retry-After").flatMap { Int($0) }, data)
        }
        return response
    }

    /// Whether a request failed because its kept-alive connection was already closed (by the
    /// upstream while idle, or before the request could be written): another connection may
    /// answer it.
    static func closedBeforeAnswering(_ error: any Error) -> Bool {
        (error as? HTTPClientError) == .remoteConnectionClosed || (error as? ChannelError) == .ioOnClosedChannel
    }

    /// The upstream's refusal as Hearth's error, with the upstream's message.
    func refusal(_ status: HTTPResponseStatus, retryAfter: Int?, _ data: Data) -> HearthError {
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        let message =
            ((object?["error"] as? [String: Any])?["message"] as? String) ?? (object?["error"] as? String)
            ?? "answered \(status.code) \(status.reasonPhrase)"
        let text = "the provider \(name): \(message.prefix(500))"
        switch status.code {
        case 400, 422: return HearthError(.invalidRequest, text)
        case 401, 403: return HearthError(.unreachable, "the provider \(name) refused Hearth's key (\(status.code))")
        case 404: return HearthError(.modelNotFound, text)
        case 413: return HearthError(.bodyTooLarge, text)
        case 429: return HearthError(.rateLimited, text, retryAfter: retryAfter)
        case 503: return HearthError(.unavailable, text, retryAfter: retryAfter)
        default: return HearthError(.unreachable, text)
        }
    }
}

/// Reads an upstream's streamed answer, bytes as they arrive, into token events.
protocol TokenStreamReader {
    init()
    /// Whether the answer's end has been read.
    var finished: Bool { get }
    mutating func feed(_ bytes: [UInt8]) throws -> [TokenEvent]
    /// What the body's end means when the answer's end was not read: more events, or an error.
    mutating func finish() throws -> [TokenEvent]
}

extension Upstream {
    /// POSTs `body` as JSON and reads the whole answer.
    func json(_ path: String, _ body: some Encodable) async throws -> Data {
        let response = try await send(path, body: try JSONEncoder().encode(body))
        return Data(try await response.body.collect(upTo: 256 << 20).readableBytesView)
    }

    /// POSTs `body` as JSON and streams the answer through `Reader`. Ending the iteration
    /// cancels the reading, which closes the upstream connection; a client that left is a
    /// cancellation, not the upstream's failure.
    func events<Reader: TokenStreamReader>(_ path: String, _ body: some Encodable, reader _: Reader.Type) async throws
        -> AsyncThrowingStream<TokenEvent, any Error>
    {
        let response = try await send(path, body: try JSONEncoder().encode(body))
        let (stream, continuation) = AsyncThrowingStream<TokenEvent, any Error>.makeStream()
        let task = Task { [name] in
            do {
                var reader = Reader()
                for try await buffer in response.body {
                    for event in try reader.feed(Array(buffer.readableBytesView)) { continuation.yield(event) }
                    if reader.finished { break }
                }
                for event in try reader.finish() { continuation.yield(event) }
                continuation.finish()
            } catch {
                continuation.finish(
                    throwing: Task.isCancelled || error is CancellationError
                        ? CancellationError()
                        : (error as? HearthError ?? HearthError(.unreachable, "the provider \(name) broke off the answer: \(error)")))
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

/// A provider on another server: it serves the upstream models routed to it, loads nothing
/// and keeps nothing loaded here.
public protocol RemoteProvider: InferenceProvider {
    /// The upstream models routed to it.
    var upstreamModels: Set<String> { get }
}

extension RemoteProvider {
    public func models() async throws -> [ModelInfo] { upstreamModels.sorted().map { ModelInfo(id: $0, provider: name, created: 0) } }
    public func loadedModels() async -> [LoadedModel] { [] }
    public func serves(_ model: String) async -> Bool { upstreamModels.contains(model) }
    public func preload(_ model: String, keepAlive: TimeInterval?) async throws {}
    public func unload(_ model: String) async -> Bool { false }
}

extension Upstream {
    /// `baseURL` without a trailing slash, the shared connections.
    init(name: String, baseURL: String, apiKey: String?, headers: [String: String], firstByteTimeout: Int64) {
        self.init(
            name: name, baseURL: baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL, apiKey: apiKey, headers: headers,
            firstByteTimeout: firstByteTimeout, http: Upstream.client)
    }
}
