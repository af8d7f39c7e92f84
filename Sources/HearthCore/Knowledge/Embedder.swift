/// Turns texts into unit vectors with a named embedding model (the local engine, through
/// the chat pipeline, in the application).
public protocol Embedder: Sendable {
    /// One vector per text, in order.
    /// - Throws: `HearthError` (unknown model, a text too long for the model's context).
    func embed(_ texts: [String], model: String) async throws -> [[Float]]
}

/// Scores how well each passage answers a query (a cross-encoder reranking model).
public protocol Reranker: Sendable {
    /// One score per passage, higher is better.
    func scores(query: String, passages: [String]) async throws -> [Double]
}
