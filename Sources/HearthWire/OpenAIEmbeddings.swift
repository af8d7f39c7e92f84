import Foundation
import HearthCore

extension OpenAI {
    /// `POST /v1/embeddings`: `input` is a string or an array of strings.
    public struct EmbeddingRequest: Codable, Sendable {
        public var model: String?
        public var input: OneOrMany<String>
        /// `float` (default) or `base64` (little-endian float32, what the openai package asks for).
        public var encodingFormat: String?
        public var dimensions: Int?

        enum CodingKeys: String, CodingKey { case model, input, dimensions, encodingFormat = "encoding_format" }

        /// Most inputs in one request.
        public static let maxInputs = 2048

        public func native(defaultModel: String) throws -> HearthCore.EmbeddingRequest {
            guard !input.values.isEmpty else { throw HearthError.invalidRequest("'input' must not be empty", field: "input") }
            guard input.values.count <= Self.maxInputs else {
                throw HearthError.invalidRequest("'input' may hold at most \(Self.maxInputs) strings", field: "input")
            }
            if let encodingFormat, !["float", "base64"].contains(encodingFormat) {
                throw HearthError.invalidRequest("'encoding_format' must be float or base64", field: "encoding_format")
            }
            if dimensions != nil {
                throw HearthError.invalidRequest("'dimensions' is not supported: the model's width is fixed", field: "dimensions")
            }
            return HearthCore.EmbeddingRequest(model: model ?? defaultModel, inputs: input.values)
        }
    }

    public struct EmbeddingList: Encodable, Sendable {
        public enum Vector: Encodable, Sendable {
            case float([Float])
            case base64(String)

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                switch self {
                case .float(let values): try container.encode(values)
                case .base64(let text): try container.encode(text)
                }
            }
        }
        public struct Item: Encodable, Sendable {
            public var object = "embedding"
            public var index: Int
            public var embedding: Vector
        }
        public struct EmbeddingUsage: Encodable, Sendable {
            public var promptTokens: Int
            public var totalTokens: Int
            enum CodingKeys: String, CodingKey { case promptTokens = "prompt_tokens", totalTokens = "total_tokens" }
        }
        public var object = "list"
        public var data: [Item]
        public var model: String
        public var usage: EmbeddingUsage

        public init(model: String, result: EmbeddingResult, base64: Bool) {
            self.model = model
            data = result.vectors.enumerated().map { index, vector in
                Item(index: index, embedding: base64 ? .base64(Self.base64(vector)) : .float(vector))
            }
            usage = EmbeddingUsage(promptTokens: result.promptTokens, totalTokens: result.promptTokens)
        }

        static func base64(_ vector: [Float]) -> String {
            var data = Data(capacity: vector.count * 4)
            for value in vector {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
            }
            return data.base64EncodedString()
        }
    }

    /// `GET /v1/models`.
    public struct ModelList: Codable, Sendable {
        public struct Model: Codable, Sendable {
            public var id: String
            public var object = "model"
            public var created: Int
            public var ownedBy: String
            enum CodingKeys: String, CodingKey { case id, object, created, ownedBy = "owned_by" }

            public init(_ info: ModelInfo) {
                id = info.id
                created = info.created
                ownedBy = info.provider == "local" ? "hearth" : info.provider
            }
        }
        public var object = "list"
        public var data: [Model]

        public init(_ models: [ModelInfo]) {
            data = models.map(Model.init)
        }
    }

    /// The error body of every `/v1/*` failure.
    public struct ErrorBody: Codable, Sendable {
        public struct Detail: Codable, Sendable {
            public var message: String
            public var type: String
            public var param: String?
            public var code: String?

            public init(message: String, type: String, param: String?, code: String?) {
                self.message = message
                self.type = type
                self.param = param
                self.code = code
            }

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(message, forKey: .message)
                try container.encode(type, forKey: .type)
                try container.encode(param, forKey: .param)
                try container.encode(code, forKey: .code)
            }
        }
        public var error: Detail

        public init(message: String, type: String, param: String?, code: String?) {
            error = Detail(message: message, type: type, param: param, code: code)
        }
    }
}
