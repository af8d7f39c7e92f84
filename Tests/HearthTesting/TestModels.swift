import Foundation
import HearthCore
import HearthModels

/// The real models the set-up installs (`scripts/setup-models.py`), for integration tests.
public enum TestModels {
    /// The store the set-up fills: the default one, whatever HEARTH_HOME a test sets later.
    public static let store = ModelStore(
        root: Paths(environment: ProcessInfo.processInfo.environment.filter { $0.key != "HEARTH_HOME" }).models)

    /// Path of an installed catalog model; fails the test run loudly when it is missing.
    public static func path(_ name: String) throws -> String {
        do {
            return try store.resolve(name).path
        } catch {
            throw HearthError(
                .modelNotFound,
                "test model \(name) is not installed in \(store.root.path): run `make test` (or scripts/setup-models.py) first")
        }
    }

    public static var smollm2: String { get throws { try path("smollm2:135m") } }
    public static var gemma3: String { get throws { try path("gemma3:270m") } }
    /// Imported from safetensors by the set-up (`hearth models import`).
    public static var allMiniLM: String { get throws { try path("all-minilm:l6-v2") } }

    /// A chat template of a tool-trained model from llama.cpp's source, which the set-up
    /// copies beside the library (`Qwen-Qwen2.5-7B-Instruct`, …).
    public static func llamaTemplate(_ name: String) throws -> String {
        let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = root.appending(path: ".deps/llama/share/templates/\(name).jinja")
        do {
            return try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw HearthError(
                .modelNotFound, "llama.cpp's template \(name) is not at \(file.path): run `make test` (scripts/setup-llama.sh) first")
        }
    }

    /// A fresh HEARTH_HOME in the temporary folder whose models are the set-up's, so that a
    /// test's data (knowledge base, uploads) never reaches the user's folders.
    public static func home() throws -> URL {
        let home = FileManager.default.temporaryDirectory.appending(path: "hearth-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: home.appending(path: "models"), withDestinationURL: store.root)
        return home
    }

    /// A configuration for a live test server: a free loopback port, smollm2:135m, two
    /// threads, its data in `home` (a fresh `home()` when not given).
    public static func serverConfiguration(parallel: Int, context: Int, home: URL? = nil) throws -> Configuration {
        let home = try home ?? Self.home()
        var configuration = Configuration()
        configuration.port = 0
        configuration.models = [try smollm2]
        configuration.parallel = parallel
        configuration.contextPerSequence = context
        configuration.threads = 2
        configuration.paths = Paths(config: home, data: home, cache: home)
        return configuration
    }
}
