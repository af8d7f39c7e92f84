import Foundation
import HearthCore
import HearthModels
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// `hearth models pull` killed with SIGKILL half-way, then run again: it resumes from the
/// partial file with a Range request and ends with a verified model.
@Suite struct PullCLITests {
    /// The Range header of each request the server saw ("" when none).
    final class Requests: Sendable {
        let ranges = Mutex<[String]>([])
        var all: [String] { ranges.withLock { $0 } }
    }

    /// A GGUF of about 2 MB (one F32 tensor of zeros).
    static func model() throws -> Data {
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("tiny"))
        writer.tensors.append(.init(name: "weights", shape: [512, 1024], type: .f32) { Data(count: 512 * 1024 * 4) })
        let url = FileManager.default.temporaryDirectory.appending(path: "pull-\(UUID().uuidString).gguf")
        try writer.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try Data(contentsOf: url)
    }

    /// Serves `file` slowly (64 KB every 20 ms) with Range support; records each Range header.
    static func slowServer(_ file: Data, requests: Requests) -> some ApplicationProtocol {
        let router = Router()
        router.get("/slow.gguf") { request, _ -> Response in
            let range = request.headers[.range] ?? ""
            requests.ranges.withLock { $0.append(range) }
            let start = range.hasPrefix("bytes=") ? Int(range.dropFirst(6).dropLast()) ?? 0 : 0
            let bytes = file[start...]
            var headers: HTTPFields = [.contentLength: "\(bytes.count)"]
            if start > 0 { headers[.contentRange] = "bytes \(start)-\(file.count - 1)/\(file.count)" }
            return Response(
                status: start > 0 ? .partialContent : .ok, headers: headers,
                body: ResponseBody { writer in
                    var offset = bytes.startIndex
                    while offset < bytes.endIndex {
                        let end = min(offset + 65536, bytes.endIndex)
                        try await writer.write(ByteBuffer(bytes: bytes[offset..<end]))
                        offset = end
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    try await writer.finish(nil)
                })
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    @Test func aPullKilledHalfWayResumesWhenRunAgain() async throws {
        let file = try Self.model()
        let digest = ModelStore.sha256(of: file)
        let home = FileManager.default.temporaryDirectory.appending(path: "hearth-pullcli-\(UUID().uuidString)")
        let requests = Requests()
        try await Self.slowServer(file, requests: requests).test(.live) { client in
            let url = "http://127.0.0.1:\(client.port ?? 0)/slow.gguf"
            let arguments = ["models", "pull", url, "--name", "slow:1", "--sha256", String(digest.dropFirst(7))]
            let first = try CLITests.start(arguments, home: home)
            let partial = try await Self.waitForPartial(in: home.appending(path: "models/blobs"), atLeast: 300_000)
            kill(first.processIdentifier, SIGKILL)
            first.waitUntilExit()
            #expect(first.terminationReason == .uncaughtSignal)
            let kept = try #require(try FileManager.default.attributesOfItem(atPath: partial.path)[.size] as? Int)
            #expect(kept > 0 && kept < file.count)
            #expect(try ModelStore(root: home.appending(path: "models")).entry("slow:1") == nil)

            let second = try CLITests.start(arguments, home: home)
            await second.exited()
            #expect(second.terminationStatus == 0)
            let entry = try #require(try ModelStore(root: home.appending(path: "models")).entry("slow:1"))
            #expect(entry.digest == digest)
            let resumedAt = Int(requests.all.last?.dropFirst("bytes=".count).dropLast() ?? "") ?? 0
            #expect(resumedAt >= kept - 65536 && resumedAt > 0)
        }
        #expect(requests.all.count == 2)
    }

    /// The partial download once it holds `bytes`; fails after ten seconds.
    static func waitForPartial(in folder: URL, atLeast bytes: Int) async throws -> URL {
        for _ in 0..<500 {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            if let name = names.first(where: { $0.hasSuffix(".partial") }) {
                let url = folder.appending(path: name)
                if let size = try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int, size >= bytes { return url }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HearthError(.internalError, "no partial download appeared in \(folder.path)")
    }
}
