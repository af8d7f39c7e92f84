import Foundation
import HearthCore
import HearthServices
import HearthSpeech
import HearthWire
import HummingbirdWebSocket
import Logging
import NIOCore

/// One open `GET /hearth/listen`: 16 kHz mono 16-bit little-endian audio comes in as binary
/// messages; `AudioWire.ListenEvent`s go out as text. A text message `{"type":"end"}` (or
/// closing) ends the stream: what is being recorded is transcribed first.
struct ListenSession {
    let listener: Listener
    let outbound: WebSocketOutboundWriter
    let logger: Logger

    func run(_ inbound: WebSocketInboundMessageStream) async {
        do {
            messages: for try await message in inbound {
                switch message {
                case .binary(let buffer):
                    for event in try await listener.feed(Self.samples(buffer)) { try await send(Self.wire(event)) }
                case .text(let text):
                    if text.contains("\"end\"") { break messages }
                }
            }
            for event in try await listener.finish() { try await send(Self.wire(event)) }
            try? await outbound.close(.normalClosure, reason: nil)
        } catch {
            logger.error("listening failed", metadata: ["error": "\(String(reflecting: error))"])
            try? await send(AudioWire.ListenEvent(type: "error", message: APIError(error).message))
            try? await outbound.close(.unexpectedServerError, reason: nil)
        }
    }

    func send(_ event: AudioWire.ListenEvent) async throws {
        try await outbound.write(.text(String(decoding: try JSONEncoder().encode(event), as: UTF8.self)))
    }

    /// 16-bit little-endian samples as floats in [-1, 1] (an odd last byte is dropped).
    static func samples(_ buffer: ByteBuffer) -> [Float] {
        buffer.readableBytesView.withContiguousStorageIfAvailable { bytes in
            stride(from: 0, to: bytes.count - 1, by: 2).map {
                Float(Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8)) / 32768
            }
        } ?? []
    }

    static func wire(_ event: ListenEvent) -> AudioWire.ListenEvent {
        switch event {
        case .wake(let time, let score): AudioWire.ListenEvent(type: "wake", time: time, score: Double(score))
        case .transcript(let text, let start, let end): AudioWire.ListenEvent(type: "transcript", text: text, start: start, end: end)
        case .silence(let time): AudioWire.ListenEvent(type: "silence", time: time)
        }
    }
}
