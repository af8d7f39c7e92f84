import Foundation
import HearthCore
import HearthServices
import HearthSpeech
import HearthWire
import HummingbirdWebSocket
import Logging
import NIOCore
import Synchronization

/// One open `GET /hearth/listen`: 16 kHz mono 16-bit little-endian audio comes in as binary
/// messages; `AudioWire.ListenEvent`s go out as text. A text message `{"type":"end"}` ends the
/// stream: what is being recorded is transcribed first, then the server closes. A client that
/// closes first has left, and nothing more is transcribed for it.
///
/// The socket is read on while what came is listened to and transcribed, so that its pings are
/// answered however long a transcription takes (the server pings every 30 s and closes a
/// socket that does not answer).
struct ListenSession {
    let outbound: WebSocketOutboundWriter
    let logger: Logger

    /// At most this much audio (a minute) waits to be listened to: a client that sends faster
    /// (a file, whole) is read no further until it has been.
    static let mostQueued = 60 * 16_000
    /// How long a client has to answer the server's closing before it is cut off.
    static let closeGrace = Duration.seconds(10)

    /// What the reading tells the listening.
    private final class Intake: Sendable {
        let queued = Mutex(0)
        /// The client said `end` (rather than closing).
        let ended = Mutex(false)
        /// The socket closed: nobody is left to answer.
        let closed = Mutex(false)
    }

    /// Reads the socket from the start (audio sent while the models load is kept), opens the
    /// listener, says `ready`, and listens until the end.
    /// - Parameter open: signs in and makes the listener; what it throws is the client's
    ///   `error` event, and the socket closes (1008).
    func run(_ inbound: WebSocketInboundMessageStream, wakeWord: String, open: () async throws -> Listener) async {
        let (audio, reading) = AsyncStream<[Float]>.makeStream()
        let intake = Intake()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await Self.read(inbound, into: reading, intake) }
            do {
                let listener = try await open()
                try await send(AudioWire.ListenEvent(type: "ready", wakeWord: wakeWord))
                await listen(with: listener, to: audio, intake)
            } catch {
                let refusal = APIError(error)
                try? await send(AudioWire.ListenEvent(type: "error", message: refusal.message))
                try? await outbound.close(.policyViolation, reason: String(refusal.message.prefix(120)))
            }
            // The client answers the closing, which ends the reading; one that does not is cut off.
            group.addTask { try? await Task.sleep(for: Self.closeGrace) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Reads the socket until it closes: audio goes to `reading`, which `end` finishes.
    private static func read(_ inbound: WebSocketInboundMessageStream, into reading: AsyncStream<[Float]>.Continuation, _ intake: Intake)
        async
    {
        do {
            for try await message in inbound {
                switch message {
                case .binary(let buffer):
                    guard !intake.ended.withLock({ $0 }) else { continue }
                    let samples = Self.samples(buffer)
                    intake.queued.withLock { $0 += samples.count }
                    reading.yield(samples)
                    while intake.queued.withLock({ $0 }) > mostQueued { try await Task.sleep(for: .milliseconds(20)) }
                case .text(let text):
                    if text.contains("\"end\"") {
                        intake.ended.withLock { $0 = true }
                        reading.finish()
                    }
                }
            }
        } catch {}
        intake.closed.withLock { $0 = true }
        reading.finish()
    }

    /// Listens to the audio as it comes and sends what it completes; transcribes what is being
    /// recorded when the client says `end`; then closes.
    private func listen(with listener: Listener, to audio: AsyncStream<[Float]>, _ intake: Intake) async {
        do {
            for await samples in audio {
                intake.queued.withLock { $0 -= samples.count }
                if intake.closed.withLock({ $0 }) { return }
                for event in try await listener.feed(samples) { try await send(Self.wire(event)) }
            }
            guard intake.ended.withLock({ $0 }) else { return }
            for event in try await listener.finish() { try await send(Self.wire(event)) }
            try? await outbound.close(.normalClosure, reason: nil)
        } catch {
            if intake.closed.withLock({ $0 }) { return }
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
