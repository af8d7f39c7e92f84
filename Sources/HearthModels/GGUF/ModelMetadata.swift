import Foundation

/// What a user wants to know about a GGUF model, read from its header alone.
public struct ModelMetadata: Sendable, Equatable {
    /// `general.architecture`, e.g. `llama`, `gemma3`, `bert`.
    public var architecture: String
    /// Total number of weights.
    public var parameters: Int
    /// `Q4_K_M`, `F16`, … from `general.file_type`, else the most common weight type.
    public var quantization: String
    /// Training context length in tokens.
    public var contextLength: Int?
    /// Width of the hidden state (and of its embeddings).
    public var embeddingLength: Int?
    /// Number of transformer blocks.
    public var blockCount: Int?
    /// Attention heads.
    public var headCount: Int?
    /// Key/value heads (fewer than `headCount` with grouped-query attention).
    public var headCountKV: Int?
    /// Tokenizer kind (`tokenizer.ggml.model`): `gpt2` (BPE), `llama` (SentencePiece), `bert` (WordPiece), …
    public var tokenizer: String?
    /// Vocabulary size.
    public var vocabularySize: Int?
    /// The Jinja chat template the file carries, if any.
    public var chatTemplate: String?
    /// Whether the model only embeds (an encoder such as BERT), rather than generating text.
    public var embeddingOnly: Bool
    /// Size of the file in bytes.
    public var fileSize: Int

    /// Summarises a parsed header.
    public init(_ file: GGUFFile) {
        let arch = file.string("general.architecture") ?? "unknown"
        architecture = arch
        parameters = file.tensors.reduce(0) { $0 + $1.elements }
        if let type = file.int("general.file_type"), let known = LlamaFileType.names[type] {
            quantization = known
        } else {
            let weights = file.tensors.filter { $0.shape.count >= 2 }
            let counts = Dictionary(grouping: weights, by: \.type.name).mapValues(\.count)
            quantization = counts.max { $0.value < $1.value }?.key ?? "unknown"
        }
        contextLength = file.int("\(arch).context_length")
        embeddingLength = file.int("\(arch).embedding_length")
        blockCount = file.int("\(arch).block_count")
        headCount = file.int("\(arch).attention.head_count")
        headCountKV = file.int("\(arch).attention.head_count_kv") ?? headCount
        tokenizer = file.string("tokenizer.ggml.model")
        vocabularySize = file.metadata["tokenizer.ggml.tokens"]?.arrayCount
        chatTemplate = file.string("tokenizer.chat_template")
        embeddingOnly = file.metadata["\(arch).attention.causal"]?.bool == false
        fileSize = file.fileSize
    }

    /// Estimated memory to run the model with `tokens` of context in all: the weights plus
    /// an f16 KV cache (an upper bound for sliding-window models and encoders).
    public func memoryEstimate(contextTokens tokens: Int) -> Int64 {
        guard let layers = blockCount, let width = embeddingLength, let heads = headCount, heads > 0 else { return Int64(fileSize) }
        let kvWidth = width / heads * (headCountKV ?? heads)
        return Int64(fileSize) + Int64(2 * layers * tokens * kvWidth * 2)
    }

    /// A model that is not a GGUF language model: what its own header tells.
    private init(
        architecture: String, parameters: Int, quantization: String, fileSize: Int, contextLength: Int? = nil,
        embeddingLength: Int? = nil, blockCount: Int? = nil, headCount: Int? = nil, tokenizer: String? = nil, vocabularySize: Int? = nil
    ) {
        self.architecture = architecture
        self.parameters = parameters
        self.quantization = quantization
        self.contextLength = contextLength
        self.embeddingLength = embeddingLength
        self.blockCount = blockCount
        self.headCount = headCount
        headCountKV = headCount
        self.tokenizer = tokenizer
        self.vocabularySize = vocabularySize
        chatTemplate = nil
        embeddingOnly = false
        self.fileSize = fileSize
    }

    /// Summarises a whisper.cpp model (speech to text).
    public init(whisper file: WhisperFile, fileSize: Int) {
        let h = file.hyperParameters
        self.init(
            architecture: "whisper", parameters: h.parameters, quantization: h.fileType == 0 ? "F32" : "F16", fileSize: fileSize,
            contextLength: h.textContext, embeddingLength: h.textState, blockCount: h.textLayers, headCount: h.textHeads,
            tokenizer: "whisper", vocabularySize: h.vocabulary)
    }

    /// Summarises a Piper voice (text to speech). Its graph is not read: float32 weights make
    /// up nearly all of the file.
    public init(voice file: PiperVoiceFile, fileSize: Int) {
        self.init(
            architecture: "piper", parameters: fileSize / 4, quantization: "F32", fileSize: fileSize, tokenizer: "espeak",
            vocabularySize: file.tokens.map { $0.split(separator: "\n").count })
    }

    /// Summarises a TensorFlow Lite model (openWakeWord's).
    init(tflite size: Int) {
        self.init(architecture: "tflite", parameters: size / 4, quantization: "F32", fileSize: size)
    }

    /// Whether `url` is a TensorFlow Lite flatbuffer (`TFL3` after its root offset).
    static func isTFLite(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 8))?.dropFirst(4) == Data("TFL3".utf8)
    }

    /// Whether the model spots a wake word (an openWakeWord model).
    public var wakeWord: Bool { architecture == "tflite" }

    /// Whether the model turns text into speech (a Piper voice).
    public var textToSpeech: Bool { architecture == "piper" }

    /// Whether the model turns speech into text (Whisper) rather than generating or embedding text.
    public var speechToText: Bool { architecture == "whisper" }

    /// Reads the header of `url` (GGUF, a whisper.cpp model or a Piper voice) and summarises it.
    /// - Throws: `HearthError.modelLoadFailed` when the file is missing, truncated or corrupt.
    public static func read(_ url: URL) throws -> ModelMetadata {
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? 0
        if WhisperFile.recognises(url) {
            return ModelMetadata(whisper: try WhisperFile.read(url), fileSize: size)
        }
        if isTFLite(url) {
            return ModelMetadata(tflite: size)
        }
        if PiperVoiceFile.recognises(url) {
            return ModelMetadata(voice: try PiperVoiceFile.read(url), fileSize: size)
        }
        return ModelMetadata(try GGUFFile.read(url, arrayLimit: 0))
    }
}
