import Foundation
import HearthCore
import HearthModels
import Testing

@Suite struct ModelStoreTests {
    let root = FileManager.default.temporaryDirectory.appending(path: "hearth-store-\(UUID().uuidString)")

    func install(_ name: String, bytes: Int = 10) throws {
        let hex = String(repeating: "ab", count: 32)
        let blobs = root.appending(path: "blobs")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        try Data(count: bytes).write(to: blobs.appending(path: "sha256-\(hex)"))
        let parts = name.split(separator: ":")
        let folder = root.appending(path: "manifests/\(parts[0])")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let manifest = #"{"name":"\#(name)","format":"gguf","blob":"sha256:\#(hex)","size":\#(bytes)}"#
        try Data(manifest.utf8).write(to: folder.appending(path: "\(parts[1]).json"))
    }

    @Test func resolvesNamesToBlobsAndListsThem() throws {
        try install("tiny:1m")
        try install("tiny:latest")
        let store = ModelStore(root: root)
        #expect(try store.resolve("tiny:1m").lastPathComponent.hasPrefix("sha256-"))
        #expect(try store.entry("tiny")?.name == "tiny:latest")
        #expect(try store.list().map(\.name) == ["tiny:1m", "tiny:latest"])
        #expect(try store.list().first?.size == 10)
    }

    @Test func unknownNamesAndPathsAreModelNotFound() throws {
        let store = ModelStore(root: root)
        for name in ["nope:1b", "/nonexistent/model.gguf", "../escape:x"] {
            do {
                _ = try store.resolve(name)
                Issue.record("expected modelNotFound for \(name)")
            } catch let error as HearthError {
                #expect(error.code == .modelNotFound)
            }
        }
    }

    @Test func aManifestRewrittenInTheSameSecondIsReadAgain() throws {
        try install("base:1")
        let store = ModelStore(root: root)
        _ = try store.create("helper:1", profile: Profile(from: "base:1", system: "Be brief."))
        #expect(try store.entry("helper:1")?.profile?.system == "Be brief.")
        // Same length, same second: only the file itself (renamed over the old one) differs.
        _ = try store.create("helper:1", profile: Profile(from: "base:1", system: "Be kind.."))
        #expect(try store.entry("helper:1")?.profile?.system == "Be kind..")
        #expect(try store.list().first { $0.name == "helper:1" }?.profile?.system == "Be kind..")
        _ = try store.remove("helper:1")
        #expect(try store.entry("helper:1") == nil)
    }

    @Test func aManifestWhoseBlobIsGoneIsAClearError() throws {
        try install("gone:1")
        try FileManager.default.removeItem(at: root.appending(path: "blobs"))
        #expect(throws: HearthError.self) { try ModelStore(root: root).resolve("gone:1") }
    }

    @Test func pathsAreRecognised() {
        #expect(ModelStore.isPath("/models/x.gguf"))
        #expect(ModelStore.isPath("./x.gguf"))
        #expect(ModelStore.isPath("x.gguf"))
        #expect(!ModelStore.isPath("smollm2:135m"))
    }
}

@Suite struct ModelStoreLifecycleTests {
    let store = ModelStore(root: FileManager.default.temporaryDirectory.appending(path: "hearth-store-\(UUID().uuidString)"))

    func file(_ text: String) throws -> URL {
        let url = try store.scratchFile("test")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func aSharedBlobIsStoredOnceAndRemovedWithItsLastName() throws {
        let first = try store.install(try file("weights"), as: "one:1")
        try store.copy("one:1", to: "two")
        let again = try store.install(try file("weights"), as: "three:x")
        #expect(first.blob == again.blob)
        #expect(try store.list().map(\.name) == ["one:1", "three:x", "two:latest"])
        #expect(store.diskUsage() == 7)
        #expect(try store.remove("one:1") == 0)
        #expect(try store.remove("two") == 0)
        #expect(FileManager.default.fileExists(atPath: first.blob.path))
        #expect(try store.remove("three:x") == 7)
        #expect(!FileManager.default.fileExists(atPath: first.blob.path))
        #expect(try store.list().isEmpty)
        #expect(store.diskUsage() == 0)
    }

    @Test func removingOrCopyingAnUnknownModelIsModelNotFound() throws {
        for action in [{ try store.remove("nope:1") }, { try store.copy("nope:1", to: "x:1") }] as [() throws -> Void] {
            let error = #expect(throws: HearthError.self) { try action() }
            #expect(error?.code == .modelNotFound)
        }
    }

    @Test func invalidNamesAreRefused() throws {
        _ = try store.install(try file("a"), as: "ok:1")
        for bad in ["../up:1", "a/b:1", "x:..", "sp ace:1", ":tag", "a+b:1", "x:y:z", "tab\t:1", "é😀:1"] {
            let error = #expect(throws: HearthError.self) { try store.copy("ok:1", to: bad) }
            #expect(error?.code == .invalidRequest)
        }
        // Letters and digits of any script are names too.
        for good in ["Qwen2.5-7B_instruct:q4", "modèle:été", "模型:七", "plain"] {
            _ = try store.copy("ok:1", to: good)
            #expect(try store.entry(good) != nil, "\(good)")
        }
    }
}
