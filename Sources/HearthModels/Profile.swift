import Foundation
import HearthCore

/// A profile (Hearth's Modelfile): a base model plus a system prompt, default parameters,
/// stop strings and an optional chat template name. It is installed like a model, shares
/// its base's file, and answers exactly like a model everywhere.
///
/// File form (Ollama's Modelfile keywords):
/// ```
/// FROM smollm2:135m
/// SYSTEM """You are a terse assistant.
/// Answer in one sentence."""
/// PARAMETER temperature 0.2
/// PARAMETER stop "###"
/// TEMPLATE chatml
/// ```
public struct Profile: Sendable, Codable, Equatable {
    /// The model it was made from.
    public var from: String
    public var system: String?
    public var parameters = Parameters()
    public var stop: [String] = []
    /// A chat template name llama.cpp knows (`chatml`, `llama3`, `gemma`, …) used instead of the model's.
    public var template: String?

    public init(from: String, system: String? = nil, parameters: Parameters = Parameters(), stop: [String] = [], template: String? = nil) {
        self.from = from
        self.system = system
        self.parameters = parameters
        self.stop = stop
        self.template = template
    }

    /// Default sampling parameters, under Ollama's names.
    public struct Parameters: Sendable, Codable, Equatable {
        public var temperature: Double?
        public var topP: Double?
        public var topK: Int?
        public var minP: Double?
        public var seed: UInt32?
        public var numPredict: Int?
        public var repeatPenalty: Double?
        public var presencePenalty: Double?
        public var frequencyPenalty: Double?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case temperature, seed
            case topP = "top_p", topK = "top_k", minP = "min_p", numPredict = "num_predict"
            case repeatPenalty = "repeat_penalty", presencePenalty = "presence_penalty", frequencyPenalty = "frequency_penalty"
        }

        public init() {}

        /// The names `set` accepts.
        public static var names: [String] { CodingKeys.allCases.map(\.rawValue) + ["stop"] }

        /// Sets one parameter from text (`temperature`, `0.2`).
        /// - Throws: `HearthError.invalidRequest` for an unknown name or a value of the wrong kind.
        public mutating func set(_ name: String, _ value: String) throws {
            func number<T: LosslessStringConvertible>(_: T.Type) throws -> T {
                guard let parsed = T(value) else {
                    throw HearthError.invalidRequest("parameter \(name) needs a number, got '\(value)'", field: name)
                }
                return parsed
            }
            switch CodingKeys(rawValue: name) {
            case .temperature: temperature = try number(Double.self)
            case .topP: topP = try number(Double.self)
            case .topK: topK = try number(Int.self)
            case .minP: minP = try number(Double.self)
            case .seed: seed = try number(UInt32.self)
            case .numPredict: numPredict = try number(Int.self)
            case .repeatPenalty: repeatPenalty = try number(Double.self)
            case .presencePenalty: presencePenalty = try number(Double.self)
            case .frequencyPenalty: frequencyPenalty = try number(Double.self)
            case nil:
                throw HearthError.invalidRequest(
                    "unknown parameter '\(name)'; known: \(Self.names.joined(separator: ", "))", field: name)
            }
        }

        /// These values where `params` has none.
        func fill(_ params: inout GenerationParams) {
            params.temperature = params.temperature ?? temperature
            params.topP = params.topP ?? topP
            params.topK = params.topK ?? topK
            params.minP = params.minP ?? minP
            params.seed = params.seed ?? seed
            params.maxTokens = params.maxTokens ?? numPredict.flatMap { $0 > 0 ? $0 : nil }
            params.repeatPenalty = params.repeatPenalty ?? repeatPenalty
            params.presencePenalty = params.presencePenalty ?? presencePenalty
            params.frequencyPenalty = params.frequencyPenalty ?? frequencyPenalty
        }

        /// `overrides`' values where it has them, these otherwise.
        func overridden(by overrides: Parameters) -> Parameters {
            var result = overrides
            result.temperature = overrides.temperature ?? temperature
            result.topP = overrides.topP ?? topP
            result.topK = overrides.topK ?? topK
            result.minP = overrides.minP ?? minP
            result.seed = overrides.seed ?? seed
            result.numPredict = overrides.numPredict ?? numPredict
            result.repeatPenalty = overrides.repeatPenalty ?? repeatPenalty
            result.presencePenalty = overrides.presencePenalty ?? presencePenalty
            result.frequencyPenalty = overrides.frequencyPenalty ?? frequencyPenalty
            return result
        }
    }

    /// Applies the profile to a request: its system prompt when the conversation has none,
    /// its parameters and stop strings where the request sets none, its template.
    public func apply(to request: inout GenerationRequest) {
        if let system, case .chat(let messages) = request.prompt, !messages.contains(where: { $0.role == .system }) {
            request.prompt = .chat([ChatMessage(role: .system, content: system)] + messages)
        }
        parameters.fill(&request.params)
        if request.params.stop.isEmpty { request.params.stop = stop }
        request.template = request.template ?? template
    }

    /// This profile on top of its base's (a profile made from a profile inherits what it does not set).
    func inheriting(from base: Profile?) -> Profile {
        guard let base else { return self }
        return Profile(
            from: from, system: system ?? base.system, parameters: base.parameters.overridden(by: parameters),
            stop: stop.isEmpty ? base.stop : stop, template: template ?? base.template)
    }

    /// Parses the file form.
    /// - Throws: `HearthError.invalidRequest` naming the line that is wrong.
    public static func parse(_ text: String) throws -> Profile {
        var profile = Profile(from: "")
        var lines = text.components(separatedBy: .newlines).enumerated().makeIterator()
        while let (index, raw) = lines.next() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let (keyword, rest) = split(line)
            func fail(_ why: String) -> HearthError { HearthError.invalidRequest("line \(index + 1): \(why)") }
            var value = rest
            if value.hasPrefix("\"\"\"") {
                value = String(value.dropFirst(3))
                while !value.hasSuffix("\"\"\"") {
                    guard let (_, next) = lines.next() else { throw fail("a \"\"\" block is not closed") }
                    value += "\n" + next
                }
                value = String(value.dropLast(3))
            } else if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            switch keyword.uppercased() {
            case "FROM": profile.from = value
            case "SYSTEM": profile.system = value
            case "TEMPLATE": profile.template = value
            case "PARAMETER":
                let (name, parameter) = split(value)
                var text = parameter
                if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { text = String(text.dropFirst().dropLast()) }
                if name == "stop" {
                    profile.stop.append(text)
                } else {
                    do { try profile.parameters.set(name, text) } catch let error as HearthError { throw fail(error.message) }
                }
            default:
                throw fail("unknown keyword '\(keyword)'; use FROM, SYSTEM, PARAMETER or TEMPLATE")
            }
        }
        guard !profile.from.isEmpty else { throw HearthError.invalidRequest("a profile needs a FROM line naming its base model") }
        return profile
    }

    private static func split(_ line: String) -> (String, String) {
        guard let space = line.firstIndex(where: \.isWhitespace) else { return (line, "") }
        return (String(line[..<space]), line[space...].trimmingCharacters(in: .whitespaces))
    }
}
