import Foundation

/// Something that can generate text and embeddings for the models it serves: the local
/// llama.cpp engine, or later a remote OpenAI- or Ollama-compatible server.
public protocol InferenceProvider: Sendable {
    /// A short name for logs and metrics (`local`).
    var name: String { get }

    /// The models this provider can serve now.
    func models() async throws -> [ModelInfo]

    /// Models loaded now, with their activity (empty for providers that load nothing).
    func loadedModels() async -> [LoadedModel]

    /// Whether this provider serves `model` (a name or a path).
    func serves(_ model: String) async -> Bool

    /// Starts a generation. The stream yields `.text` pieces and ends with one `.done`;
    /// it finishes with a `HearthError` on failure. Ending the iteration (or cancelling the
    /// task that iterates) cancels the generation at once.
    /// - Throws: `HearthError` when the request cannot start (unknown model, model fails to load).
    func generate(_ request: GenerationRequest) async throws -> AsyncThrowingStream<TokenEvent, any Error>

    /// How many tokens the request's prompt is, as the model reads it (to reserve them against
    /// a limit before generating). The default is an upper bound: one per UTF-8 byte, plus
    /// eight per message for a template's markers.
    /// - Throws: `HearthError` (unknown model, model fails to load).
    func promptTokens(_ request: GenerationRequest) async throws -> Int

    /// Embeds each input. Throws `HearthError` (unknown model, input too long).
    func embed(_ request: EmbeddingRequest) async throws -> EmbeddingResult

    /// Loads `model` without using it, to stay loaded for `keepAlive` seconds (nil: the
    /// default; negative: forever). What Ollama clients do with an empty prompt.
    /// - Throws: `HearthError` (unknown model, model fails to load).
    func preload(_ model: String, keepAlive: TimeInterval?) async throws

    /// Unloads `model` once its requests end; returns whether it was loaded.
    func unload(_ model: String) async -> Bool
}

extension InferenceProvider {
    public func promptTokens(_ request: GenerationRequest) async throws -> Int {
        switch request.prompt {
        case .text(let text): text.utf8.count + 8
        case .chat(let messages): messages.reduce(8) { $0 + $1.content.utf8.count + 8 }
        }
    }
}
