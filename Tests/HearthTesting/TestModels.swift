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
}
