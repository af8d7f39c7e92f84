import Foundation
import HearthCore

extension Ollama {
    /// `GET /api/tags`: the installed models.
    public struct TagsResponse: Codable, Sendable {
        /// One installed model.
        public struct Model: Codable, Sendable {
            /// `name:tag`.
            public var name: String
            /// The same as `name`.
            public var model: String
            /// See `Ollama.timestamp`.
            public var modifiedAt: String
            /// Bytes on disk.
            public var size: Int64
            /// Hex sha256 of the model file, without `sha256:`.
            public var digest: String
            /// Format, family, size and quantization.
            public var details: ModelDetails

            enum CodingKeys: String, CodingKey {
                case name, model, size, digest, details
                case modifiedAt = "modified_at"
            }

            /// A listed model; `digest` may carry the `sha256:` prefix, which is removed.
            public init(name: String, modified: Date, size: Int64, digest: String, details: ModelDetails) {
                self.name = name
                model = name
                modifiedAt = Ollama.timestamp(modified)
                self.size = size
                self.digest = Ollama.hex(digest)
                self.details = details
            }
        }

        /// The installed models, sorted by name.
        public var models: [Model]

        /// The list of `models`.
        public init(models: [Model]) {
            self.models = models
        }
    }

    /// `POST /api/show`: `model`, or the legacy `name`. `verbose` (the full tokenizer arrays in
    /// `model_info`) is accepted and ignored; so are `system`, `template` and `options`.
    public struct ShowRequest: Codable, Sendable {
        /// The model, `name:tag` (`:latest` when the tag is left out).
        public var model: String?
        /// Legacy spelling of `model`.
        public var name: String?
        /// Accepted and ignored.
        public var verbose: Bool?

        /// The model asked about.
        /// - Throws: `HearthError.invalidRequest` when neither `model` nor `name` is given.
        public func modelName() throws -> String {
            try Ollama.required(model, legacy: name)
        }
    }

    /// The answer of `/api/show`. `model_info` holds GGUF metadata keys: build it with
    /// `Ollama.modelInfo(…)`.
    public struct ShowResponse: Codable, Sendable {
        /// A Modelfile that would recreate the model (`FROM …`).
        public var modelfile: String?
        /// Default parameters, one `name value` a line.
        public var parameters: String?
        /// The chat template (Hearth's is the GGUF's Jinja template, not a Go template).
        public var template: String?
        /// The default system prompt.
        public var system: String?
        /// The model's licence text, when the file carries one.
        public var license: String?
        /// Format, family, size and quantization.
        public var details: ModelDetails
        /// `general.architecture`, `general.parameter_count`, `ARCH.context_length`, … (always sent:
        /// the `ollama` package requires the key).
        public var modelInfo: [String: JSONValue]
        /// `["completion"]` for a generating model, `["embedding"]` for an encoder.
        public var capabilities: [String]
        /// See `Ollama.timestamp`.
        public var modifiedAt: String

        enum CodingKeys: String, CodingKey {
            case modelfile, parameters, template, system, license, details, capabilities
            case modelInfo = "model_info", modifiedAt = "modified_at"
        }

        /// The answer for one model.
        public init(
            details: ModelDetails, modelInfo: [String: JSONValue], capabilities: [String], modified: Date,
            modelfile: String? = nil, parameters: String? = nil, template: String? = nil, system: String? = nil, license: String? = nil
        ) {
            self.modelfile = modelfile
            self.parameters = parameters
            self.template = template
            self.system = system
            self.license = license
            self.details = details
            self.modelInfo = modelInfo
            self.capabilities = capabilities
            modifiedAt = Ollama.timestamp(modified)
        }
    }

    /// `GET /api/ps`: the models loaded now.
    public struct PsResponse: Codable, Sendable {
        /// One loaded model.
        public struct Model: Codable, Sendable {
            /// `name:tag`.
            public var name: String
            /// The same as `name`.
            public var model: String
            /// Bytes of the model file.
            public var size: Int64
            /// Hex sha256 of the model file, without `sha256:`.
            public var digest: String
            /// Format, family, size and quantization.
            public var details: ModelDetails
            /// When it will be unloaded if idle (see `Ollama.timestamp`); far in the future when never.
            public var expiresAt: String
            /// Bytes in GPU memory; 0, as Hearth runs on the CPU.
            public var sizeVram: Int64
            /// Tokens of context per sequence.
            public var contextLength: Int?

            enum CodingKeys: String, CodingKey {
                case name, model, size, digest, details
                case expiresAt = "expires_at", sizeVram = "size_vram", contextLength = "context_length"
            }

            /// A loaded model; `expires` nil means it stays loaded (reported as `Date.distantFuture`).
            public init(name: String, size: Int64, digest: String, details: ModelDetails, expires: Date?, contextLength: Int? = nil) {
                self.name = name
                model = name
                self.size = size
                self.digest = Ollama.hex(digest)
                self.details = details
                expiresAt = Ollama.timestamp(expires ?? .distantFuture)
                sizeVram = 0
                self.contextLength = contextLength
            }
        }

        /// The loaded models.
        public var models: [Model]

        /// The list of `models`.
        public init(models: [Model]) {
            self.models = models
        }
    }

    /// `POST /api/pull`: `model` (or the legacy `name`) is a catalog name or an http(s) URL of a
    /// GGUF file. Streams progress unless `stream` is false. `insecure`, `username` and `password`
    /// are ignored.
    public struct PullRequest: Codable, Sendable {
        /// A catalog name (`smollm2:135m`) or the URL of a GGUF file.
        public var model: String?
        /// Legacy spelling of `model`.
        public var name: String?
        /// Accepted and ignored.
        public var insecure: Bool?
        /// Absent means true, as in Ollama.
        public var stream: Bool?

        /// Whether progress is streamed (the default); otherwise one `{"status":"success"}` answers.
        public var streams: Bool { stream ?? true }

        /// The model or URL asked for.
        /// - Throws: `HearthError.invalidRequest` when neither `model` nor `name` is given.
        public func modelName() throws -> String {
            try Ollama.required(model, legacy: name)
        }
    }

    /// One line of `/api/pull` progress. Ollama sends `pulling manifest`, then
    /// `pulling <12 hex digits>` with `digest`, `total` and `completed`, then
    /// `verifying sha256 digest`, `writing manifest` and `success`.
    public struct PullProgress: Codable, Sendable, Equatable {
        /// What is happening, in Ollama's words (see the type's description).
        public var status: String
        /// `sha256:HEX` of the file being downloaded, when known.
        public var digest: String?
        /// Bytes in all.
        public var total: Int64?
        /// Bytes received; left out while 0, as Ollama does.
        public var completed: Int64?

        /// A line saying `status` alone.
        public init(status: String, digest: String? = nil, total: Int64? = nil, completed: Int64? = nil) {
            self.status = status
            self.digest = digest
            self.total = total
            self.completed = completed
        }

        /// `pulling manifest`: the pull has started.
        public static let pullingManifest = PullProgress(status: "pulling manifest")
        /// `verifying sha256 digest`: the download is complete and being checked.
        public static let verifying = PullProgress(status: "verifying sha256 digest")
        /// `writing manifest`: the model is being installed.
        public static let writingManifest = PullProgress(status: "writing manifest")
        /// `success`: the model is installed.
        public static let success = PullProgress(status: "success")

        /// Download progress of the file `digest` (`sha256:HEX`), or of `label` when the digest is
        /// not known before the download ends (a URL without a checksum).
        public static func pulling(digest: String?, label: String = "model", total: Int64?, completed: Int64) -> PullProgress {
            let name = digest.map { String(Ollama.hex($0).prefix(12)) } ?? label
            return PullProgress(status: "pulling \(name)", digest: digest, total: total, completed: completed > 0 ? completed : nil)
        }
    }

    /// `DELETE /api/delete` (the body is sent with DELETE): `model`, or the legacy `name`.
    public struct DeleteRequest: Codable, Sendable {
        /// The model to remove, `name:tag`.
        public var model: String?
        /// Legacy spelling of `model`.
        public var name: String?

        /// The model to remove.
        /// - Throws: `HearthError.invalidRequest` when neither `model` nor `name` is given.
        public func modelName() throws -> String {
            try Ollama.required(model, legacy: name)
        }
    }

    /// `POST /api/create`: a model made from an installed one (`from`) with its own system
    /// prompt, parameters or chat template, or from the legacy `modelfile` text.
    public struct CreateRequest: Codable, Sendable {
        /// The new model's name, `name:tag`.
        public var model: String?
        /// Legacy spelling of `model`.
        public var name: String?
        /// The installed model it is made from.
        public var from: String?
        /// A chat template: a Jinja template or a name llama.cpp knows (Hearth reads no Go templates).
        public var template: String?
        public var system: String?
        /// Sampling parameters (`temperature`, `num_predict`, …); `stop` may be a list.
        public var parameters: [String: JSONValue]?
        /// A whole Modelfile (older clients).
        public var modelfile: String?
        /// Absent means true, as in Ollama.
        public var stream: Bool?

        /// The new model's name.
        /// - Throws: `HearthError.invalidRequest` when neither `model` nor `name` is given.
        public func modelName() throws -> String {
            try Ollama.required(model, legacy: name)
        }

        /// The parameters as text, each of `stop`'s strings apart.
        /// - Throws: `HearthError.invalidRequest` naming a parameter that is an object or null.
        public func textParameters() throws -> (parameters: [String: String], stop: [String]) {
            var texts: [String: String] = [:]
            var stop: [String] = []
            for (name, value) in parameters ?? [:] {
                switch value {
                case .string(let text) where name == "stop": stop.append(text)
                case .array(let items) where name == "stop":
                    for case .string(let text) in items { stop.append(text) }
                case .string(let text): texts[name] = text
                case .int(let number): texts[name] = String(number)
                case .double(let number): texts[name] = String(number)
                case .bool(let flag): texts[name] = String(flag)
                default: throw HearthError.invalidRequest("parameter \(name) needs a number, a string or (for stop) a list", field: name)
                }
            }
            return (texts, stop)
        }
    }

    /// `POST /api/copy`: gives the model `source` a second name, `destination`.
    public struct CopyRequest: Codable, Sendable {
        /// The installed model to copy.
        public var source: String
        /// Its new name, `name:tag`; replaced if it exists.
        public var destination: String
    }

    /// `model_info` for `/api/show`, as Ollama fills it from a GGUF header; unknown values are left out.
    public static func modelInfo(
        architecture: String, parameters: Int, contextLength: Int?, embeddingLength: Int?, blockCount: Int? = nil,
        headCount: Int? = nil, vocabularySize: Int? = nil
    ) -> [String: JSONValue] {
        var info: [String: JSONValue] = ["general.architecture": .string(architecture), "general.parameter_count": .int(parameters)]
        let counts: [(String, Int?)] = [
            ("\(architecture).context_length", contextLength), ("\(architecture).embedding_length", embeddingLength),
            ("\(architecture).block_count", blockCount), ("\(architecture).attention.head_count", headCount),
            ("\(architecture).vocab_size", vocabularySize),
        ]
        for (key, value) in counts {
            if let value { info[key] = .int(value) }
        }
        return info
    }

    /// `model`, else the legacy `name`.
    /// - Throws: `HearthError.invalidRequest` naming `model` when both are absent or empty.
    static func required(_ model: String?, legacy name: String?) throws -> String {
        if let model, !model.isEmpty { return model }
        if let name, !name.isEmpty { return name }
        throw HearthError.invalidRequest("'model' is required", field: "model")
    }

    /// A digest without its `sha256:` prefix, as Ollama lists them.
    static func hex(_ digest: String) -> String {
        digest.hasPrefix("sha256:") ? String(digest.dropFirst(7)) : digest
    }
}
