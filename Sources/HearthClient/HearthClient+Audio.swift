import Foundation
import HTTPTypes
import HearthCore
import HearthWire
import HummingbirdWSClient
import Logging
import NIOCore
import Synchronization

extension HearthClient {
    /// Speech to text: `POST /v1/audio/transcriptions` (or `/v1/audio/translations`) with the
    /// audio as a form's file.
    public struct Transcription: Sendable {
        public var audio: Data
        public var filename: String
        public var model: String?
        public var language: String?
        public var prompt: String?
        public var format: AudioWire.Format = .text
        public var translate = false

        public init(audio: Data, filename: String) {
            self.audio = audio
            self.filename = filename
        }

        var path: String { translate ? "/v1/audio/translations" : "/v1/audio/transcriptions" }

        func form(streaming: Bool) -> Payload {
            var fields: [(String, String)] = [("response_format", format.rawValue)]
            if let model { fields.append(("model", model)) }
            if let language, !translate { fields.append(("language", language)) }
            if let prompt { fields.append(("prompt", prompt)) }
            if streaming { fields.append(("stream", "true")) }
            let boundary = "hearth-\(UUID().uuidString)"
            var body = Data()
            for (name, value) in fields {
                body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
            }
            let safeName = filename.replacingOccurrences(of: "\"", with: "_")
            body.append(
                Data(
                    "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(safeName)\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                        .utf8))
            body.append(audio)
            body.append(Data("\r\n--\(boundary)--\r\n".utf8))
            return Payload(contentType: "multipart/form-data; boundary=\(boundary)", bytes: body)
        }
    }

    /// The transcription as the server wrote it in `request.format` (text, JSON or subtitles).
    /// - Throws: `HearthError` (the server's, or `.unreachable`).
    public func transcribe(_ request: Transcription) async throws -> String {
        let response = try await execute(request.path, method: .POST, payload: request.form(streaming: false), deadline: .distantFuture)
        return String(decoding: try await collect(response), as: UTF8.self)
    }

    /// The transcription's text, piece by piece as the server finds it, then the whole.
    public func streamTranscription(_ request: Transcription) -> AsyncThrowingStream<AudioWire.StreamEvent, any Error> {
        stream(request.path, payload: request.form(streaming: true))
    }
}

extension HearthClient {
    /// Text to speech: `POST /v1/audio/speech`, the audio's bytes as they arrive.
    public func speak(_ request: AudioWire.SpeechRequest) -> AsyncThrowingStream<Data, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let response = try await execute(
                        "/v1/audio/speech", method: .POST, payload: try Payload.json(request), deadline: .distantFuture)
                    do {
                        for try await buffer in response.body { continuation.yield(Data(buffer.readableBytesView)) }
                    } catch {
                        throw HearthError(.unreachable, "the connection to the server at \(address) broke: \(error)")
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

extension HearthClient {
    /// `GET /hearth/listen` (a WebSocket): sends `audio` (16 kHz mono 16-bit little-endian
    /// pieces) as it comes, then `end`; calls `event` with each event the server sends, until
    /// it closes.
    /// - Throws: `HearthError` when the server refuses (its `error` event) or cannot be reached.
    public func listen(
        wake: String?, model: String? = nil, language: String? = nil, audio: AsyncThrowingStream<Data, any Error>,
        event: @escaping @Sendable (AudioWire.ListenEvent) async throws -> Void
    ) async throws {
        var query: [String] = []
        for (key, value) in [("wake", wake), ("model", model), ("language", language)] {
            if let value, let encoded = value.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) {
                query.append("\(key)=\(encoded)")
            }
        }
        let url =
            address.url.replacingOccurrences(of: "http", with: "ws", options: .anchored) + "/hearth/listen"
            + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        var headers = HTTPFields()
        if let apiKey { headers[.authorization] = "Bearer \(apiKey)" }
        let failure = Mutex<HearthError?>(nil)
        let handling = Mutex<(any Error)?>(nil)
        do {
            _ = try await WebSocketClient.connect(
                url: url, configuration: .init(maxFrameSize: 1 << 20, additionalHeaders: headers), logger: Logger(label: "hearth.listen")
            ) { inbound, outbound, _ in
                let sender = Task {
                    for try await piece in audio { try await outbound.write(.binary(ByteBuffer(bytes: piece))) }
                    try await outbound.write(.text(#"{"type":"end"}"#))
                }
                defer { sender.cancel() }
                // Events are handled in turn beside the reading, so that the server's pings are
                // answered while one takes long (`hearth listen --then aish` waits for a person).
                let (events, handing) = AsyncStream<AudioWire.ListenEvent>.makeStream()
                let handler = Task { () -> (any Error)? in
                    do {
                        for await decoded in events { try await event(decoded) }
                        return nil
                    } catch {
                        try? await outbound.close(.normalClosure, reason: nil)
                        return error
                    }
                }
                // A connection that breaks leaves no event to be handled after `listen` returns.
                defer { handler.cancel() }
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message,
                        let decoded = try? JSONDecoder().decode(AudioWire.ListenEvent.self, from: Data(text.utf8))
                    else { continue }
                    if decoded.type == "error" {
                        failure.withLock { $0 = HearthError(.invalidRequest, decoded.message ?? "the server stopped listening") }
                        break
                    }
                    handing.yield(decoded)
                }
                handing.finish()
                if let error = await handler.value { handling.withLock { $0 = error } }
            }
        } catch {
            throw HearthError(.unreachable, "no Hearth server answers at \(address) (start one with `hearth serve`)", detail: "\(error)")
        }
        if let error = handling.withLock({ $0 }) { throw error }
        if let error = failure.withLock({ $0 }) { throw error }
    }
}
