import Foundation
import HearthCore

/// Hearth's own model-management bodies (`/hearth/models…`), read by `hearth models`.
public enum ModelsWire {
    /// `GET /hearth/models`.
    public struct ModelList: Codable, Sendable {
        public var models: [Model]
        /// Bytes the model files take on disk, each file counted once.
        public var diskUsage: Int64

        public init(models: [Model], diskUsage: Int64) {
            self.models = models
            self.diskUsage = diskUsage
        }

        enum CodingKeys: String, CodingKey { case models, diskUsage = "disk_usage" }
    }

    /// One installed model.
    public struct Model: Codable, Sendable {
        public var name: String
        public var digest: String
        public var size: Int64
        /// Seconds since 1970.
        public var modifiedAt: Int
        public var architecture: String?
        public var parameters: Int?
        public var quantization: String?
        /// The base model, when this is a profile.
        public var profileOf: String?

        public init(
            name: String, digest: String, size: Int64, modifiedAt: Int, architecture: String?, parameters: Int?,
            quantization: String?, profileOf: String?
        ) {
            self.name = name
            self.digest = digest
            self.size = size
            self.modifiedAt = modifiedAt
            self.architecture = architecture
            self.parameters = parameters
            self.quantization = quantization
            self.profileOf = profileOf
        }

        enum CodingKeys: String, CodingKey {
            case name, digest, size, architecture, parameters, quantization
            case modifiedAt = "modified_at", profileOf = "profile_of"
        }
    }

    /// `GET /hearth/models/{name}`: what the file's header says, and the profile.
    public struct Detail: Codable, Sendable {
        public var name: String
        public var architecture: String
        public var parameters: Int
        public var quantization: String
        public var contextLength: Int?
        public var embeddingLength: Int?
        public var layers: Int?
        public var attentionHeads: Int?
        public var tokenizer: String?
        public var vocabularySize: Int?
        public var capabilities: [String]
        /// The chat template used (the profile's name, the file's Jinja text, or llama.cpp's fallback).
        public var template: String?
        public var templateFromFile: Bool
        public var size: Int64
        public var digest: String?
        public var profile: Profile?
        public var modelfile: String

        /// A profile: a base model with its own defaults.
        public struct Profile: Codable, Sendable {
            public var from: String
            public var system: String?
            /// `name value` lines, as in a Modelfile.
            public var parameters: [String]
            public var template: String?

            public init(from: String, system: String?, parameters: [String], template: String?) {
                self.from = from
                self.system = system
                self.parameters = parameters
                self.template = template
            }
        }

        public init(
            name: String, architecture: String, parameters: Int, quantization: String, contextLength: Int?, embeddingLength: Int?,
            layers: Int?, attentionHeads: Int?, tokenizer: String?, vocabularySize: Int?, capabilities: [String], template: String?,
            templateFromFile: Bool, size: Int64, digest: String?, profile: Profile?, modelfile: String
        ) {
            self.name = name
            self.architecture = architecture
            self.parameters = parameters
            self.quantization = quantization
            self.contextLength = contextLength
            self.embeddingLength = embeddingLength
            self.layers = layers
            self.attentionHeads = attentionHeads
            self.tokenizer = tokenizer
            self.vocabularySize = vocabularySize
            self.capabilities = capabilities
            self.template = template
            self.templateFromFile = templateFromFile
            self.size = size
            self.digest = digest
            self.profile = profile
            self.modelfile = modelfile
        }

        enum CodingKeys: String, CodingKey {
            case name, architecture, parameters, quantization, tokenizer, capabilities, template, size, digest, profile, modelfile
            case layers
            case contextLength = "context_length", embeddingLength = "embedding_length", attentionHeads = "attention_heads"
            case vocabularySize = "vocabulary_size", templateFromFile = "template_from_file"
        }
    }

    /// `POST /hearth/models/pull`: a catalog name or a URL.
    public struct PullRequest: Codable, Sendable {
        public var model: String
        /// The name to install it as (default: the catalog name, or the URL's file name).
        public var name: String?
        /// The file's expected sha256 (hex).
        public var sha256: String?

        public init(model: String, name: String? = nil, sha256: String? = nil) {
            self.model = model
            self.name = name
            self.sha256 = sha256
        }
    }

    /// One line of a pull's NDJSON progress: `status` is `started`, `downloading`,
    /// `converting`, `verifying`, `installing`, `success` or `error`.
    public struct PullEvent: Codable, Sendable {
        public var status: String
        /// The model's name (`started`, `success`).
        public var model: String?
        /// The file being downloaded (`sha256:…`), when known.
        public var file: String?
        public var completed: Int64?
        public var total: Int64?
        /// Bytes already on disk from an interrupted pull.
        public var resumedFrom: Int64?
        /// The installed file's digest and size (`success`).
        public var digest: String?
        public var size: Int64?
        /// What went wrong (`error`).
        public var error: OpenAI.ErrorBody.Detail?

        public init(
            status: String, model: String? = nil, file: String? = nil, completed: Int64? = nil, total: Int64? = nil,
            resumedFrom: Int64? = nil, digest: String? = nil, size: Int64? = nil, error: OpenAI.ErrorBody.Detail? = nil
        ) {
            self.status = status
            self.model = model
            self.file = file
            self.completed = completed
            self.total = total
            self.resumedFrom = resumedFrom
            self.digest = digest
            self.size = size
            self.error = error
        }

        enum CodingKeys: String, CodingKey {
            case status, model, file, completed, total, digest, size, error
            case resumedFrom = "resumed_from"
        }
    }

    /// `POST /hearth/models`: create a profile from a Modelfile (FROM, SYSTEM, PARAMETER,
    /// TEMPLATE lines), from the fields, or both: the fields win over the Modelfile.
    public struct CreateRequest: Codable, Sendable {
        public var name: String
        public var modelfile: String?
        public var from: String?
        public var system: String?
        /// Default parameters by name (`temperature`: `0.2`), as PARAMETER lines give them.
        public var parameters: [String: String]?
        /// Stop strings, added to the Modelfile's.
        public var stop: [String]?
        public var template: String?

        public init(
            name: String, modelfile: String? = nil, from: String? = nil, system: String? = nil, parameters: [String: String]? = nil,
            stop: [String]? = nil, template: String? = nil
        ) {
            self.name = name
            self.modelfile = modelfile
            self.from = from
            self.system = system
            self.parameters = parameters
            self.stop = stop
            self.template = template
        }
    }

    /// `POST /hearth/models/copy`.
    public struct CopyRequest: Codable, Sendable {
        public var source: String
        public var destination: String

        public init(source: String, destination: String) {
            self.source = source
            self.destination = destination
        }
    }

    /// The answer of create, copy and delete.
    public struct Changed: Codable, Sendable {
        public var name: String
        /// The base model (create).
        public var from: String?
        /// Bytes freed on disk (delete; 0 when another name still uses the file).
        public var freedBytes: Int64?

        public init(name: String, from: String? = nil, freedBytes: Int64? = nil) {
            self.name = name
            self.from = from
            self.freedBytes = freedBytes
        }

        enum CodingKeys: String, CodingKey { case name, from, freedBytes = "freed_bytes" }
    }
}
