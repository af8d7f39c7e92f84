import HearthCore

/// A stand-in embedding model for tests of the code around embeddings: each word adds to
/// one of `dimensions` buckets, then the vector is normalised, so texts sharing words are
/// similar. Can be told to fail on texts containing a word.
public final class HashingEmbedder: Embedder, @unchecked Sendable {
    public let dimensions: Int
    /// Texts containing this word are "too long" (a `contextLengthExceeded` error).
    public var tooLongWord: String?

    public init(dimensions: Int = 64) {
        self.dimensions = dimensions
    }

    public func embed(_ texts: [String], model: String) async throws -> [[Float]] {
        return try texts.map { text in
            if let tooLongWord, text.contains(tooLongWord), text.count > 40 {
                throw HearthError.contextLengthExceeded(promptTokens: 999, contextSize: 512)
            }
            var vector = [Float](repeating: 0, count: dimensions)
            for word in text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
                var hash: UInt64 = 1_469_598_103_934_665_603
                for byte in word.utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
                vector[Int(hash % UInt64(dimensions))] += 1
            }
            if vector.allSatisfy({ $0 == 0 }) { vector[0] = 1 }
            return VectorMath.normalized(vector)
        }
    }
}
