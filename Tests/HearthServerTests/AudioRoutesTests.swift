import Foundation
import HTTPTypes
import HearthClient
import HearthCore
import HearthProviders
import HearthServer
import HearthServices
import HearthSpeech
import HearthTesting
import HearthWire
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// `/v1/audio/transcriptions` and `/v1/audio/translations` with the set-up's Whisper model
/// (whisper:tiny.en) on whisper.cpp's sample, and `/v1/audio/speech` with its voice
/// (piper-joe:medium): the formats, streaming, and what is refused.
@Suite(.serialized) struct AudioRoutesTests {
    let folder = FileManager.default.temporaryDirectory.appending(path: "audio-\(UUID().uuidString)")

    func app(keys: [String] = []) throws -> (IdentityService, some ApplicationProtocol) {
        let stores = try TestStores(in: folder)
        let provider = ScriptedProvider()
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model, store: TestModels.store)
        let services = Services(pipeline: pipeline, identity: stores.identity, threads: 1)
        return (stores.identity, Application(router: HTTPServer.router(services: services, metrics: Metrics(), maxBodyBytes: 1 << 20)))
    }

    static func jfk() throws -> Data {
        let source = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try Data(contentsOf: source.appending(path: ".deps/whisper/jfk.wav"))
    }

    /// A multipart form: `fields`, then `file` (when given).
    static func form(_ fields: [(String, String)], file: Data?) -> (String, ByteBuffer) {
        let boundary = "hearth-audio-test"
        var body = Data()
        for (name, value) in fields {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        if let file {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\n".utf8))
            body.append(file)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        return ("multipart/form-data; boundary=\(boundary)", ByteBuffer(data: body))
    }

    static func post(
        _ client: some TestClientProtocol, _ fields: [(String, String)], file: Data?, key: String? = nil,
        path: String = "/v1/audio/transcriptions"
    ) async throws -> (HTTPResponse.Status, String, HTTPFields) {
        let (type, body) = form(fields, file: file)
        var headers: HTTPFields = [.contentType: type]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await client.execute(uri: path, method: .post, headers: headers, body: body) {
            ($0.status, String(buffer: $0.body), $0.headers)
        }
    }

    static let jfkWords = "and so my fellow americans ask not what your country can do for you ask what you can do for your country"

    static func words(_ text: String) -> String {
        text.lowercased().split { !$0.isLetter }.joined(separator: " ")
    }

    @Test func everyResponseFormatCarriesTheSentence() async throws {
        let (_, app) = try app()
        let audio = try Self.jfk()
        try await app.test(.router) { client in
            let (status, body, _) = try await Self.post(client, [("model", "whisper-1")], file: audio)
            #expect(status == .ok)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            #expect(Self.words(json["text"] as? String ?? "") == Self.jfkWords, "\(body)")

            let text = try await Self.post(client, [("response_format", "text")], file: audio)
            #expect(text.2[.contentType]?.hasPrefix("text/plain") == true && Self.words(text.1) == Self.jfkWords)

            let srt = try await Self.post(client, [("response_format", "srt")], file: audio).1
            #expect(srt.hasPrefix("1\n00:00:00,000 --> 00:00:"), "\(srt)")
            let vtt = try await Self.post(client, [("response_format", "vtt")], file: audio).1
            #expect(vtt.hasPrefix("WEBVTT\n\n00:00:00.000 --> "), "\(vtt)")

            let verbose = try await Self.post(
                client,
                [("response_format", "verbose_json"), ("timestamp_granularities[]", "word"), ("timestamp_granularities[]", "segment")],
                file: audio
            ).1
            let object = try #require(try JSONSerialization.jsonObject(with: Data(verbose.utf8)) as? [String: Any])
            #expect(object["task"] as? String == "transcribe" && object["language"] as? String == "english")
            #expect(abs((object["duration"] as? Double ?? 0) - 11) < 0.1)
            let segments = try #require(object["segments"] as? [[String: Any]])
            #expect(!segments.isEmpty && segments[0]["avg_logprob"] is Double && segments[0]["no_speech_prob"] is Double)
            let words = try #require(object["words"] as? [[String: Any]])
            #expect(words.count >= 20 && words.allSatisfy { ($0["start"] as? Double ?? -1) >= 0 })
        }
    }

    @Test func aStreamSendsPiecesThenTheWhole() async throws {
        let (_, app) = try app()
        try await app.test(.router) { client in
            let (status, body, headers) = try await Self.post(client, [("stream", "true")], file: try Self.jfk())
            #expect(status == .ok && headers[.contentType] == "text/event-stream")
            let events = body.split(separator: "\n\n").map { $0.replacingOccurrences(of: "data: ", with: "") }
            #expect(events.last == "[DONE]")
            let decoded = events.dropLast().compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(decoded.first?["type"] as? String == "transcript.text.delta")
            let done = try #require(decoded.last)
            #expect(done["type"] as? String == "transcript.text.done")
            #expect(Self.words(done["text"] as? String ?? "") == Self.jfkWords)
        }
    }

    @Test func badRequestsAreRefusedClearly() async throws {
        let (_, app) = try app()
        let audio = try Self.jfk()
        try await app.test(.router) { client in
            func refusal(_ fields: [(String, String)], file: Data?) async throws -> (HTTPResponse.Status, String) {
                let (status, body, _) = try await Self.post(client, fields, file: file)
                return (status, body)
            }
            let noFile = try await refusal([("model", "whisper-1")], file: nil)
            #expect(noFile.0 == .badRequest && noFile.1.contains("'file'"))
            let format = try await refusal([("response_format", "docx")], file: audio)
            #expect(format.0 == .badRequest && format.1.contains("response_format"))
            let temperature = try await refusal([("temperature", "hot")], file: audio)
            #expect(temperature.0 == .badRequest && temperature.1.contains("temperature"))
            let corrupt = try await refusal([], file: Data("RIFF....WAVEfmt not really".utf8))
            #expect(corrupt.0 == .badRequest && corrupt.1.contains("not audio Hearth can read"))
            let missing = try await refusal([("model", "whisper:large-v9")], file: audio)
            #expect(missing.0 == .notFound)
            let chat = try await refusal([("model", "smollm2:135m")], file: audio)
            #expect(chat.0 == .badRequest && chat.1.contains("not a speech-to-text model"))
            let language = try await refusal([("language", "xx")], file: audio)
            #expect(language.0 == .badRequest && language.1.contains("not a language Whisper knows"))
            let german = try await refusal([("language", "de")], file: audio)
            #expect(german.0 == .badRequest && german.1.contains("English only"))
            let path = try await refusal([("model", "/etc/passwd")], file: audio)
            #expect(path.0 == .notFound)
        }
    }

    @Test func aKeyLimitedToOtherModelsCannotTranscribe() async throws {
        let (identity, app) = try app()
        _ = try await identity.bootstrap(admin: "root")
        _ = try await identity.createUser("carol", role: .user, by: .operator)
        let chatOnly = try await identity.createKey(
            for: "carol", label: "", expiresIn: nil, models: ["smollm2:135m"], collections: nil, by: .operator
        ).1
        let any = try await identity.createKey(for: "carol", label: "", expiresIn: nil, models: nil, collections: nil, by: .operator).1
        try await app.test(.router) { client in
            let audio = try Self.jfk()
            #expect(try await Self.post(client, [], file: audio).0 == .unauthorized)
            let refused = try await Self.post(client, [], file: audio, key: chatOnly)
            #expect(refused.0 == .notFound, "\(refused.1)")
            #expect(try await Self.post(client, [], file: audio, key: any, path: "/v1/audio/translations").0 == .ok)
        }
    }

    static func speak(_ client: some TestClientProtocol, _ body: String, key: String? = nil) async throws -> (
        HTTPResponse.Status, Data, HTTPFields
    ) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await client.execute(uri: "/v1/audio/speech", method: .post, headers: headers, body: ByteBuffer(string: body)) {
            ($0.status, Data(buffer: $0.body), $0.headers)
        }
    }

    @Test func speechInEachFormatIsHeardBack() async throws {
        let (_, app) = try app()
        try await app.test(.router) { client in
            let sentence = "Please leave the green umbrella by the kitchen door."
            for (format, type) in [("mp3", "audio/mpeg"), ("opus", "audio/ogg"), ("flac", "audio/flac"), ("wav", "audio/wav")] {
                let body = #"{"model":"tts-1","voice":"alloy","input":"\#(sentence)","response_format":"\#(format)"}"#
                let (status, audio, headers) = try await Self.speak(client, body)
                #expect(status == .ok && headers[.contentType] == type, "\(format): \(status)")
                let (heardStatus, heard, _) = try await Self.post(client, [("response_format", "text")], file: audio)
                // Piper voices are sampled (VITS noise): each rendering differs a little, a word or
                // two may be misheard ("Place the green …" for "Please leave the green …").
                #expect(heardStatus == .ok && wordErrorRate(heard, reference: sentence) <= 0.34, "\(format): \(heard)")
            }
            // Raw 16-bit samples at 24 kHz: about two seconds of speech, no header.
            let (status, pcm, headers) = try await Self.speak(
                client, #"{"input":"The garden gate is painted blue.","response_format":"pcm"}"#)
            #expect(status == .ok && headers[.contentType] == "audio/pcm" && (24_000...160_000).contains(pcm.count))
        }
    }

    @Test func speechThatCannotBeMadeIsRefusedClearly() async throws {
        let (_, app) = try app()
        try await app.test(.router) { client in
            func refusal(_ body: String) async throws -> (HTTPResponse.Status, String) {
                let (status, data, _) = try await Self.speak(client, body)
                return (status, String(decoding: data, as: UTF8.self))
            }
            let empty = try await refusal(#"{"input":"   "}"#)
            #expect(empty.0 == .badRequest && empty.1.contains("input is empty"))
            let long = try await refusal(#"{"input":"\#(String(repeating: "word ", count: 900))"}"#)
            #expect(long.0 == .badRequest && long.1.contains("at most 4096"))
            let aac = try await refusal(#"{"input":"Hello.","response_format":"aac"}"#)
            #expect(aac.0 == .badRequest && aac.1.contains("response_format"))
            let fast = try await refusal(#"{"input":"Hello.","speed":9}"#)
            #expect(fast.0 == .badRequest && fast.1.contains("speed"))
            let sse = try await refusal(#"{"input":"Hello.","stream_format":"sse"}"#)
            #expect(sse.0 == .badRequest && sse.1.contains("stream_format"))
            #expect(try await refusal(#"{"input":"Hello.","voice":"nobody:at-all"}"#).0 == .notFound)
            let whisper = try await refusal(#"{"input":"Hello.","voice":"whisper:tiny.en"}"#)
            #expect(whisper.0 == .badRequest && whisper.1.contains("not a voice model"))
            let missing = try await refusal(#"{"voice":"alloy"}"#)
            #expect(missing.0 == .badRequest)
        }
    }

    @Test func aKeyLimitedToOtherModelsCannotSpeak() async throws {
        let (identity, app) = try app()
        _ = try await identity.bootstrap(admin: "root")
        _ = try await identity.createUser("dave", role: .user, by: .operator)
        let chatOnly = try await identity.createKey(
            for: "dave", label: "", expiresIn: nil, models: ["smollm2:135m"], collections: nil, by: .operator
        ).1
        let voiceToo = try await identity.createKey(
            for: "dave", label: "", expiresIn: nil, models: ["piper-joe:medium"], collections: nil, by: .operator
        ).1
        try await app.test(.router) { client in
            let body = #"{"input":"Hello there.","response_format":"wav"}"#
            #expect(try await Self.speak(client, body, key: chatOnly).0 == .notFound)
            let (status, audio, _) = try await Self.speak(client, body, key: voiceToo)
            #expect(status == .ok && audio.prefix(4) == Data("RIFF".utf8))
        }
    }
}

/// `GET /hearth/listen` over a real WebSocket, through Hearth's own client.
@Suite(.serialized) struct ListenRoutesTests {
    let folder = FileManager.default.temporaryDirectory.appending(path: "listen-\(UUID().uuidString)")

    func app() throws -> some ApplicationProtocol {
        let stores = try TestStores(in: folder)
        let provider = ScriptedProvider()
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model, store: TestModels.store)
        let services = Services(pipeline: pipeline, identity: stores.identity, threads: 1)
        let router = HTTPServer.router(services: services, metrics: Metrics(), maxBodyBytes: 1 << 20)
        return Application(
            router: router,
            server: HTTPServer.http1(
                webSockets: HTTPServer.socketRouter(services: services, http: router, maxBodyBytes: 1 << 20), maxBodyBytes: 1 << 20,
                // Pings every 4 s (not 30): a client that stops reading for 10 s would be closed.
                pingEvery: .seconds(4)))
    }

    /// `text` said by the set-up's voice after `silence` seconds of quiet, as 16 kHz 16-bit
    /// pieces of 100 ms, each as it would come from a microphone (100 ms after the one before).
    static func spoken(_ text: String, after silence: Int) async throws -> AsyncThrowingStream<Data, any Error> {
        let voice = try await PiperVoice.load(
            name: "piper-joe:medium", file: URL(filePath: try TestModels.path("piper-joe:medium")), threads: 1)
        let samples = Mutex<[Float]>([])
        try await voice.speak(text) { piece in samples.withLock { $0 += piece } }
        let encoder = try AudioEncoder(format: .wav, sourceRate: voice.sampleRate)
        let audio =
            [Float](repeating: 0, count: 16_000 * silence)
            + (try AudioDecoder.decode(try encoder.encode(samples.withLock { $0 }) + encoder.finish()).samples)
            + [Float](repeating: 0, count: 24_000)
        let (stream, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        let task = Task {
            for start in stride(from: 0, to: audio.count, by: 1600) {
                continuation.yield(AudioEncoder.pcm16(audio[start..<min(start + 1600, audio.count)]))
                try? await Task.sleep(for: .milliseconds(100))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    @Test(.timeLimit(.minutes(6))) func theWakeWordAndTheCommandComeBack() async throws {
        try await app().test(.live) { client in
            let port = try #require(client.port)
            let hearth = HearthClient(address: try ServerAddress(parsing: "127.0.0.1:\(port)"))
            let events = Mutex<[AudioWire.ListenEvent]>([])
            let audio = try await Self.spoken("Hey Jarvis, turn off the lights in the kitchen.", after: 12)
            try await hearth.listen(wake: nil, audio: audio) { event in
                events.withLock { $0.append(event) }
                // A client that takes its time over an event (`--then aish` waits for a person)
                // still answers the server's pings (every 4 s here) meanwhile: the socket stays
                // open, and what is said later comes back.
                if event.type == "ready" { try await Task.sleep(for: .seconds(10)) }
            }
            let types = events.withLock { $0.map(\.type) }
            #expect(types == ["ready", "wake", "transcript"], "\(events.withLock { $0 })")
            let text = events.withLock { $0.last?.text } ?? ""
            #expect(text.lowercased().contains("turn off the lights"), "\(text)")
        }
    }

    @Test(.timeLimit(.minutes(2))) func anUnknownWakeWordIsAnErrorAndTheSocketCloses() async throws {
        try await app().test(.live) { client in
            let port = try #require(client.port)
            let hearth = HearthClient(address: try ServerAddress(parsing: "127.0.0.1:\(port)"))
            let quiet = AsyncThrowingStream<Data, any Error> { continuation in
                for _ in 0..<10 { continuation.yield(AudioEncoder.pcm16([Float](repeating: 0, count: 1600)[...])) }
                continuation.finish()
            }
            do {
                try await hearth.listen(wake: "hey-nobody", audio: quiet) { event in Issue.record("an event: \(event)") }
                Issue.record("an unknown wake word was listened for")
            } catch let error as HearthError {
                #expect(error.message.contains("hey-nobody"), "\(error)")
            }

        }
    }
}
