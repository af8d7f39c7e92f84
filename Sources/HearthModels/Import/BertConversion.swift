import Foundation
import HearthCore

/// BERT (`BertModel`) → GGUF architecture `bert`, with the same names, types and metadata as
/// llama.cpp's own converter, so that llama.cpp loads it as an embedding model.
struct BertConversion {
    let config: HFConfig
    let weights: SafetensorsFolder
    let vocabulary: HFVocabulary
    let directory: URL

    /// Hugging Face tensor name (without a `bert.` prefix) → GGUF name. `{n}` is the layer.
    static let names: [(String, String)] = [
        ("embeddings.word_embeddings", "token_embd"),
        ("embeddings.position_embeddings", "position_embd"),
        ("embeddings.token_type_embeddings", "token_types"),
        ("embeddings.LayerNorm", "token_embd_norm"),
        ("encoder.layer.{n}.attention.self.query", "blk.{n}.attn_q"),
        ("encoder.layer.{n}.attention.self.key", "blk.{n}.attn_k"),
        ("encoder.layer.{n}.attention.self.value", "blk.{n}.attn_v"),
        ("encoder.layer.{n}.attention.output.dense", "blk.{n}.attn_output"),
        ("encoder.layer.{n}.attention.output.LayerNorm", "blk.{n}.attn_output_norm"),
        ("encoder.layer.{n}.intermediate.dense", "blk.{n}.ffn_up"),
        ("encoder.layer.{n}.output.dense", "blk.{n}.ffn_down"),
        ("encoder.layer.{n}.output.LayerNorm", "blk.{n}.layer_output_norm"),
    ]

    func writer(name: String, precision: ModelImporter.Precision) throws -> GGUFWriter {
        guard vocabulary.model == "WordPiece" else {
            throw HearthError(.invalidRequest, "a BERT model needs a WordPiece tokenizer; tokenizer.json has \(vocabulary.model)")
        }
        let layers = try config.int("num_hidden_layers")
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("bert"))
        writer.set("general.name", .string(name))
        writer.set("general.file_type", .uint32(precision.fileType))
        writer.set("general.quantization_version", .uint32(2))
        writer.set("bert.context_length", .uint32(UInt32(try config.int("max_position_embeddings"))))
        writer.set("bert.embedding_length", .uint32(UInt32(try config.int("hidden_size"))))
        writer.set("bert.feed_forward_length", .uint32(UInt32(try config.int("intermediate_size"))))
        writer.set("bert.attention.head_count", .uint32(UInt32(try config.int("num_attention_heads"))))
        writer.set("bert.block_count", .uint32(UInt32(layers)))
        writer.set("bert.attention.layer_norm_epsilon", .float32(Float(config.double("layer_norm_eps") ?? 1e-12)))
        writer.set("bert.attention.causal", .bool(false))
        if let pooling = poolingType() { writer.set("bert.pooling_type", .uint32(pooling)) }

        // llama.cpp's WordPiece vocabulary marks word starts with "▁" instead of marking
        // continuations with "##"; control tokens stay as they are.
        let tokens = vocabulary.tokens.enumerated().map { id, token -> GGUFValue in
            if vocabulary.special.contains(id) { return .string(token) }
            return .string(token.hasPrefix("##") ? String(token.dropFirst(2)) : "\u{2581}" + token)
        }
        let types = vocabulary.tokens.indices.map { GGUFValue.int32(vocabulary.special.contains($0) ? 3 : 1) }
        writer.set("tokenizer.ggml.model", .string("bert"))
        writer.set("tokenizer.ggml.tokens", .array(.string, count: tokens.count, values: tokens))
        writer.set("tokenizer.ggml.token_type", .array(.int32, count: types.count, values: types))
        writer.set("tokenizer.ggml.token_type_count", .uint32(UInt32((try? config.int("type_vocab_size")) ?? 1)))
        for (key, token) in [
            ("bos", "[CLS]"), ("cls", "[CLS]"), ("seperator", "[SEP]"), ("unknown", "[UNK]"), ("padding", "[PAD]"), ("mask", "[MASK]"),
        ] {
            if let id = vocabulary.ids[token] { writer.set("tokenizer.ggml.\(key)_token_id", .uint32(UInt32(id))) }
        }

        for layer in [nil] + (0..<layers).map(Optional.some) {
            for (source, target) in Self.names where source.contains("{n}") == (layer != nil) {
                let source = source.replacingOccurrences(of: "{n}", with: layer.map(String.init) ?? "")
                let target = target.replacingOccurrences(of: "{n}", with: layer.map(String.init) ?? "")
                for suffix in ["weight", "bias"] {
                    if let tensor = try tensor(source + "." + suffix, as: target + "." + suffix, precision: precision) {
                        writer.tensors.append(tensor)
                    }
                }
            }
        }
        return writer
    }

    /// One tensor, or nil for an optional bias the model does not have.
    private func tensor(_ source: String, as target: String, precision: ModelImporter.Precision) throws -> GGUFWriter.Tensor? {
        let name = weights.tensors[source] != nil ? source : "bert." + source
        guard let info = weights.tensors[name] else {
            if target.hasSuffix(".bias") && !target.hasSuffix("_norm.bias") { return nil }
            throw HearthError(.invalidRequest, "the model has no tensor \(source)")
        }
        let shape = Array(info.shape.reversed())
        let keepsF32 = shape.count < 2 || target.hasPrefix("position_embd") || target.hasPrefix("token_types")
        let type = keepsF32 ? GGMLType.f32 : (shape[0] % precision.type.blockSize == 0 ? precision.type : .f16)
        let weights = self.weights
        return GGUFWriter.Tensor(name: target, shape: shape, type: type) {
            TensorEncoding.encode(try weights.floats(name), as: type)
        }
    }

    /// `enum llama_pooling_type` from sentence-transformers' pooling module, when present.
    private func poolingType() -> UInt32? {
        guard let data = try? Data(contentsOf: directory.appending(path: "modules.json")),
            let modules = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]],
            let path = modules.first(where: { ($0["type"] as? String)?.hasSuffix("Pooling") == true })?["path"] as? String,
            let poolingData = try? Data(contentsOf: directory.appending(path: path).appending(path: "config.json")),
            let pooling = try? JSONSerialization.jsonObject(with: poolingData) as? [String: Any]
        else { return nil }
        if pooling["pooling_mode_mean_tokens"] as? Bool == true { return 1 }
        if pooling["pooling_mode_cls_token"] as? Bool == true { return 2 }
        if pooling["pooling_mode_lasttoken"] as? Bool == true { return 3 }
        return nil
    }
}
