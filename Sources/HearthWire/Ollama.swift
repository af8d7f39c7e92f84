import Foundation
import HearthCore

/// Ollama wire types: the `/api/*` request and response bodies, and their translation into
/// Hearth's native requests. Unknown fields and options are ignored, as Ollama clients send many.
/// Streamed answers are newline-delimited JSON (`application/x-ndjson`), one object a line.
public enum Ollama {}

extension Ollama {
    /// The content type of streamed answers.
    public static let streamContentType = "application/x-ndjson"

    /// One line of a streamed answer: `value` as JSON, then a newline.
    /// - Throws: the encoder's error (not expected for these types).
    public static func line<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }

    /// A time as Ollama writes it (`created_at`, `modified_at`, `expires_at`): RFC 3339 in UTC
    /// with fractional seconds, `2024-05-01T12:00:00.123Z`.
    public static func timestamp(_ date: Date) -> String {
        date.ISO8601Format(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// A parameter count as Ollama writes it in `parameter_size`: `135M`, `1.24B`, `27.2B`.
    public static func parameterSize(_ count: Int) -> String {
        let scales: [(Double, String)] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")]
        guard let scale = scales.first(where: { Double(count) >= $0.0 }) else { return String(count) }
        let value = Double(count) / scale.0
        let digits = value >= 100 ? 0 : value >= 10 ? 1 : 2
        return String(format: "%.\(digits)f", value) + scale.1
    }

    /// `keep_alive`: how long the model stays loaded after the request. Ollama clients send a
    /// number of seconds (`300`, `-1`) or a Go duration string (`"5m"`, `"1h30m"`, `"10s"`, `"-1m"`);
    /// a plain number in a string (`"-1"`, `"0"`) is taken as seconds too.
    public struct KeepAlive: Codable, Sendable, Equatable {
        /// Seconds to stay loaded; negative means forever, 0 means unload at once.
        public var seconds: Double

        /// A keep-alive of `seconds`; any negative value means forever.
        public init(seconds: Double) {
            self.seconds = seconds < 0 ? -1 : seconds
        }

        /// Decodes a number of seconds or a duration string.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Double.self), number.isFinite {
                self.init(seconds: number)
            } else if let text = try? container.decode(String.self), let seconds = Self.parse(text) {
                self.init(seconds: seconds)
            } else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected seconds or a duration such as \"5m\", \"1h\" or \"-1\"")
            }
        }

        /// Encodes the number of seconds (-1 for forever), which every Ollama client accepts.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(seconds)
        }

        static func parse(_ text: String) -> Double? {
            try? HearthCore.KeepAlive.seconds(text)
        }
    }

    /// `options`: the sampling settings Hearth honours. Every other option Ollama knows
    /// (`num_gpu`, `mirostat`, `num_keep`, …) is accepted and ignored, as clients send many.
    public struct Options: Codable, Sendable {
        /// Sampling temperature, 0 to 2; 0 is greedy.
        public var temperature: Double?
        /// Nucleus sampling, 0 to 1.
        public var topP: Double?
        /// Sample among the k likeliest tokens; 0 means all.
        public var topK: Int?
        /// Drop tokens less likely than this fraction of the likeliest, 0 to 1.
        public var minP: Double?
        /// Negative (Ollama's default, -1) means a random seed.
        public var seed: Int64?
        /// Most tokens to generate; -1 (Ollama's default), -2 and 0 mean no limit but the context.
        public var numPredict: Int?
        /// Strings that end the generation (not included in the text); an array, or one string.
        public var stop: OneOrMany<String>?
        /// Penalty on tokens already generated, above 0; 1 is none.
        public var repeatPenalty: Double?
        /// -2 to 2.
        public var presencePenalty: Double?
        /// -2 to 2.
        public var frequencyPenalty: Double?
        /// Accepted but not honoured: each sequence's context is the server's `HEARTH_CONTEXT`.
        public var numCtx: Int?

        enum CodingKeys: String, CodingKey {
            case temperature, seed, stop
            case topP = "top_p", topK = "top_k", minP = "min_p", numPredict = "num_predict"
            case repeatPenalty = "repeat_penalty", presencePenalty = "presence_penalty", frequencyPenalty = "frequency_penalty"
            case numCtx = "num_ctx"
        }

        /// No options: every setting is the engine's default.
        public init() {}

        /// The native settings.
        /// - Throws: `HearthError.invalidRequest` naming the option at fault (`options.temperature`).
        func params() throws -> GenerationParams {
            let params = GenerationParams(
                maxTokens: numPredict.flatMap { $0 > 0 ? $0 : nil }, temperature: temperature, topP: topP, topK: topK, minP: minP,
                repeatPenalty: repeatPenalty, presencePenalty: presencePenalty, frequencyPenalty: frequencyPenalty,
                seed: seed.flatMap { $0 < 0 ? nil : UInt32(truncatingIfNeeded: $0) }, stop: stop?.values ?? [])
            do {
                try params.validate()
            } catch let error as HearthError {
                throw HearthError(error.code, error.message, field: error.field.map { "options." + $0 })
            }
            return params
        }
    }

    /// How long a generation took, reported in nanoseconds on its last chunk.
    public struct Timings: Sendable, Equatable {
        /// From receiving the request to the last token.
        public var total: Duration
        /// Loading the model, when this request had to.
        public var load: Duration
        /// Reading the prompt (until the first token).
        public var promptEval: Duration
        /// Generating after the first token.
        public var eval: Duration

        /// Timings of one request; parts not measured are zero.
        public init(total: Duration, load: Duration = .zero, promptEval: Duration = .zero, eval: Duration = .zero) {
            self.total = total
            self.load = load
            self.promptEval = promptEval
            self.eval = eval
        }

        static func nanoseconds(_ duration: Duration) -> Int {
            let (seconds, attoseconds) = duration.components
            return Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        }
    }

    /// `details` of a model in `/api/tags`, `/api/show` and `/api/ps`.
    public struct ModelDetails: Codable, Sendable, Equatable {
        /// The model this one was made from; always empty in Hearth.
        public var parentModel: String
        /// `gguf`.
        public var format: String
        /// `general.architecture`: `llama`, `gemma3`, `bert`, …
        public var family: String
        /// `[family]`.
        public var families: [String]
        /// `135M`, `1.24B` (see `Ollama.parameterSize`).
        public var parameterSize: String
        /// `Q4_1`, `Q4_K_M`, `F16`, …
        public var quantizationLevel: String

        enum CodingKeys: String, CodingKey {
            case format, family, families
            case parentModel = "parent_model", parameterSize = "parameter_size", quantizationLevel = "quantization_level"
        }

        /// Details of a GGUF model of `family` (its architecture) with `parameters` weights.
        public init(family: String, parameters: Int, quantization: String, format: String = "gguf") {
            parentModel = ""
            self.format = format
            self.family = family
            families = [family]
            parameterSize = Ollama.parameterSize(parameters)
            quantizationLevel = quantization
        }
    }

    /// The body of every `/api/*` failure, Ollama's `{"error": "…"}`; also sent as the last line
    /// of a stream that fails after it started.
    public struct ErrorBody: Codable, Sendable, Equatable {
        /// What went wrong, for people.
        public var error: String

        /// A body saying `message`.
        public init(_ message: String) {
            error = message
        }
    }

    /// `GET /api/version`.
    public struct VersionResponse: Codable, Sendable, Equatable {
        /// The server's version, `0.1.0`.
        public var version: String

        /// The answer naming `version`.
        public init(version: String) {
            self.version = version
        }
    }
}
