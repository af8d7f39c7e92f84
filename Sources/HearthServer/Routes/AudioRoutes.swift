import Foundation
import HearthCore
import HearthServices
import HearthSpeech
import HearthWire
import Hummingbird
import NIOCore

/// OpenAI's audio endpoints: `POST /v1/audio/transcriptions` and `/v1/audio/translations`
/// (into English), a multipart form with the audio as `file`; `POST /v1/audio/speech`, the
/// text said and streamed as it is made.
struct AudioRoutes: Sendable {
    let speech: SpeechService
    let maxFileBytes: Int
    let maxBodyBytes: Int

    func add(to router: Router<HearthRequestContext>) {
        router.post("/v1/audio/transcriptions") { request, context in
            try await transcribe(request, context, translate: false)
        }
        router.post("/v1/audio/translations") { request, context in
            try await transcribe(request, context, translate: true)
        }
        router.post("/v1/audio/speech") { request, context in
            try await speak(request, context)
        }
    }

    private func speak(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let wire = try await request.decode(AudioWire.SpeechRequest.self, upTo: maxBodyBytes)
        guard wire.streamFormat ?? "audio" == "audio" else {
            throw HearthError.invalidRequest("stream_format must be audio (the audio itself streams)", field: "stream_format")
        }
        let ask = SpeechService.SpeakRequest(
            input: wire.input, voice: wire.voice, model: wire.model, format: wire.responseFormat ?? "mp3", speed: wire.speed ?? 1)
        let (format, audio) = try await speech.speak(ask, by: context.principal)
        // The first piece is awaited here, so that a failure before any sound is an HTTP error.
        let started = try await StartedStream(audio)
        let logger = context.logger
        return Response(
            status: .ok, headers: [.contentType: format.contentType, .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                do {
                    var piece = started.first
                    while let bytes = piece {
                        try await writer.write(ByteBuffer(bytes: bytes))
                        piece = try await started.next()
                    }
                } catch {
                    // The status is sent: the audio ends early, and the log says why.
                    logger.error("speech stopped", metadata: ["error": "\(String(reflecting: error))"])
                }
                try await writer.finish(nil)
            })
    }

    private func transcribe(_ request: Request, _ context: HearthRequestContext, translate: Bool) async throws -> Response {
        let form = try Multipart(
            contentType: request.headers[.contentType], body: Data(buffer: try await request.body.collect(upTo: maxFileBytes)))
        guard let file = form.part("file"), !file.data.isEmpty else {
            throw HearthError.invalidRequest("the form has no 'file' part with the audio", field: "file")
        }
        func text(_ name: String) -> String? {
            form.part(name).map { String(decoding: $0.data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        let formatName = text("response_format").flatMap { $0.isEmpty ? nil : $0 } ?? "json"
        guard let format = AudioWire.Format(rawValue: formatName) else {
            throw HearthError.invalidRequest(
                "response_format must be one of \(AudioWire.Format.allCases.map(\.rawValue).joined(separator: ", ")), got '\(formatName)'",
                field: "response_format")
        }
        var temperature = 0.0
        if let value = text("temperature"), !value.isEmpty {
            guard let number = Double(value), (0...1).contains(number) else {
                throw HearthError.invalidRequest("temperature must be a number from 0 to 1, got '\(value)'", field: "temperature")
            }
            temperature = number
        }
        let granularities = Set(
            form.parts.filter { $0.name == "timestamp_granularities[]" || $0.name == "timestamp_granularities" }
                .map { String(decoding: $0.data, as: UTF8.self) })
        guard granularities.isSubset(of: ["word", "segment"]) else {
            throw HearthError.invalidRequest("timestamp_granularities may hold word and segment", field: "timestamp_granularities")
        }
        let streams = ["true", "1"].contains(text("stream")?.lowercased() ?? "")
        let ask = SpeechService.Request(
            model: text("model"), language: translate ? nil : text("language"), prompt: text("prompt"), temperature: temperature,
            translate: translate, words: granularities.contains("word"))
        if streams {
            return try await stream(file.data, ask, context)
        }
        let transcript = try await speech.transcribe(file.data, ask, by: context.principal)
        switch format {
        case .json:
            return try json(AudioWire.Transcription(text: transcript.text))
        case .text:
            return plain(transcript.text + "\n")
        case .srt:
            return plain(transcript.srt)
        case .vtt:
            return plain(transcript.vtt)
        case .verboseJSON:
            return try json(Self.verbose(transcript, task: translate ? "translate" : "transcribe", granularities: granularities))
        }
    }

    /// `stream=true`: each segment as a `transcript.text.delta` event as soon as it is found,
    /// then `transcript.text.done`. Failures before the first segment are HTTP errors.
    private func stream(_ audio: Data, _ ask: SpeechService.Request, _ context: HearthRequestContext) async throws -> Response {
        let (events, continuation) = AsyncThrowingStream<AudioWire.StreamEvent, any Error>.makeStream()
        let work = Task { [speech] in
            do {
                let transcript = try await speech.transcribe(audio, ask, by: context.principal) { segment in
                    continuation.yield(.delta(segment.text))
                }
                continuation.yield(.done(transcript.text))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in work.cancel() }
        return try await StartedStream(events).sse(logger: context.logger) { event in try ServerSentEvents.event(event) }
    }

    static func verbose(_ transcript: Transcript, task: String, granularities: Set<String>) -> AudioWire.VerboseTranscription {
        let words = transcript.segments.flatMap(\.words).map { AudioWire.Word(word: $0.word, start: $0.start, end: $0.end) }
        return AudioWire.VerboseTranscription(
            task: task, language: WhisperModel.languageName(transcript.language), duration: transcript.duration, text: transcript.text,
            segments: granularities.isEmpty || granularities.contains("segment")
                ? transcript.segments.map {
                    AudioWire.Segment(
                        id: $0.id, seek: Int($0.start * 100), start: $0.start, end: $0.end, text: $0.text, temperature: 0,
                        avgLogprob: $0.averageLogProbability, compressionRatio: 0, noSpeechProb: $0.noSpeechProbability)
                } : nil,
            words: granularities.contains("word") ? words : nil)
    }

    private func plain(_ text: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
