import Foundation
import HearthCore
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import HearthModels

/// A real HTTP file server on loopback that serves one file with Range support, and
/// misbehaves on purpose: drops the connection part-way, or serves the wrong bytes.
final class FlakyFileServer: Sendable {
    enum Behaviour: Sendable {
        case honest
        /// The first `times` requests send `bytes` bytes, then the connection is dropped.
        case drop(after: Int, times: Int)
        /// Every byte is flipped.
        case corrupt
    }

    let file: Data
    let behaviour: Behaviour
    /// The Range header of each request, nil when it had none.
    let ranges = Mutex<[String?]>([])

    init(file: Data, behaviour: Behaviour) {
        self.file = file
        self.behaviour = behaviour
    }

    struct Dropped: Error {}

    func application() -> some ApplicationProtocol {
        let router = Router()
        router.get("/model.gguf") { request, _ -> Response in
            let range = request.headers[.range]
            let index = self.ranges.withLock {
                $0.append(range)
                return $0.count
            }
            var start = 0
            if let range, range.hasPrefix("bytes="), let from = Int(range.dropFirst(6).split(separator: "-").first ?? "") {
                start = from
            }
            var bytes = self.file[start...]
            if case .corrupt = self.behaviour { bytes = Data(bytes.map { ~$0 })[...] }
            var headers: HTTPFields = [.contentLength: "\(bytes.count)"]
            if start > 0 { headers[.contentRange] = "bytes \(start)-\(self.file.count - 1)/\(self.file.count)" }
            var limit = bytes.count
            if case .drop(let after, let times) = self.behaviour, index <= times { limit = max(0, after - start) }
            let (sent, total) = (bytes.prefix(limit), bytes.count)
            let body = ResponseBody { writer in
                try await writer.write(ByteBuffer(bytes: sent))
                if sent.count < total { throw Dropped() }
                try await writer.finish(nil)
            }
            return Response(status: start > 0 ? .partialContent : .ok, headers: headers, body: body)
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }
}

@Suite struct PullTests {
    let store = ModelStore(root: FileManager.default.temporaryDirectory.appending(path: "hearth-pull-\(UUID().uuidString)"))
    let file: Data
    let digest: String

    init() throws {
        file = try Data(contentsOf: try tinyGGUF(elements: 64 * 1024))
        digest = ModelStore.sha256(of: file)
    }

    func source(_ port: Int?) -> ModelPuller.Source {
        ModelPuller.Source(url: "http://127.0.0.1:\(port ?? 0)/model.gguf", sha256: digest, size: Int64(file.count))
    }

    @Test func aDroppedConnectionIsResumedWithARangeRequest() async throws {
        let server = FlakyFileServer(file: file, behaviour: .drop(after: file.count / 2, times: 1))
        try await server.application().test(.live) { client in
            let entry = try await ModelPuller(store: store).pull(source(client.port), as: "tiny:1")
            #expect(entry.digest == digest)
            #expect(try Data(contentsOf: entry.blob) == file)
        }
        let ranges = server.ranges.withLock { $0 }
        #expect(ranges.count == 2)
        #expect(ranges[0] == nil)
        #expect(ranges[1]?.hasPrefix("bytes=") == true && ranges[1] != "bytes=0-")
    }

    @Test func aPullStoppedHalfWayResumesWhenRunAgain() async throws {
        let server = FlakyFileServer(file: file, behaviour: .drop(after: file.count / 2, times: 1))
        try await server.application().test(.live) { client in
            var once = ModelPuller(store: store)
            once.attempts = 1
            await #expect(throws: HearthError.self) { try await once.pull(source(client.port), as: "tiny:1") }
            #expect(try store.entry("tiny:1") == nil)
            let entry = try await ModelPuller(store: store).pull(source(client.port), as: "tiny:1")
            #expect(try Data(contentsOf: entry.blob) == file)
        }
        // The second request asks only for what the first did not deliver.
        let ranges = server.ranges.withLock { $0 }
        #expect(ranges.count == 2 && ranges[0] == nil)
        let resumedAt = Int(ranges[1]?.dropFirst("bytes=".count).dropLast() ?? "") ?? 0
        #expect(resumedAt > 0 && resumedAt <= file.count / 2)
    }

    @Test func wrongBytesAreAChecksumMismatchAndNothingIsInstalled() async throws {
        let server = FlakyFileServer(file: file, behaviour: .corrupt)
        try await server.application().test(.live) { client in
            let error = await #expect(throws: HearthError.self) {
                try await ModelPuller(store: store).pull(source(client.port), as: "tiny:1")
            }
            #expect(error?.message.contains("checksum mismatch") == true)
        }
        #expect(try store.list().isEmpty)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: store.root.appending(path: "blobs").path)
        #expect(leftovers.allSatisfy { $0.hasSuffix(".lock") })
    }

    @Test func twoPullsOfTheSameFileDownloadItOnce() async throws {
        let server = FlakyFileServer(file: file, behaviour: .honest)
        try await server.application().test(.live) { client in
            let puller = ModelPuller(store: store)
            async let first = puller.pull(source(client.port), as: "tiny:a")
            async let second = puller.pull(source(client.port), as: "tiny:b")
            let (a, b) = try await (first, second)
            #expect(a.blob == b.blob)
        }
        #expect(server.ranges.withLock { $0.count } == 1)
        #expect(try store.list().map(\.name) == ["tiny:a", "tiny:b"])
    }

    @Test func aURLWithoutADigestIsHashedAndNamedAfterItsFile() async throws {
        let server = FlakyFileServer(file: file, behaviour: .honest)
        try await server.application().test(.live) { client in
            let puller = ModelPuller(store: store)
            let (source, name) = try puller.resolve("http://127.0.0.1:\(client.port ?? 0)/model.gguf", name: nil)
            #expect(name == "model")
            let entry = try await puller.pull(source, as: name)
            #expect(entry.name == "model:latest")
            #expect(entry.digest == digest)
        }
    }

    @Test func anHTTPErrorIsReportedAndUnknownNamesAreNotFound() async throws {
        let server = FlakyFileServer(file: file, behaviour: .honest)
        try await server.application().test(.live) { client in
            let missing = ModelPuller.Source(url: "http://127.0.0.1:\(client.port ?? 0)/missing.gguf")
            let error = await #expect(throws: HearthError.self) { try await ModelPuller(store: store).pull(missing, as: "x:1") }
            #expect(error?.message.contains("HTTP 404") == true)
        }
        let unknown = #expect(throws: HearthError.self) { try ModelPuller(store: store).resolve("nonesuch:1b", name: nil) }
        #expect(unknown?.code == .modelNotFound)
    }
}
