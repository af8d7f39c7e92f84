import Foundation
import HearthCore

/// Llama (`LlamaForCausalLM`) → GGUF architecture `llama`, with llama.cpp's names, metadata
/// and the row order its RoPE expects for the query and key projections.
struct LlamaConversion {
    let config: HFConfig
    let weights: SafetensorsFolder
    let vocabulary: HFVocabulary
    let directory: URL

    /// Hugging Face tensor name → GGUF name. `{n}` is the layer.
    static let names: [(String, String)] = [
        ("model.embed_tokens", "token_embd"),
        ("model.norm", "output_norm"),
        ("lm_head", "output"),
        ("model.layers.{n}.input_layernorm", "blk.{n}.attn_norm"),
        ("model.layers.{n}.self_attn.q_proj", "blk.{n}.attn_q"),
        ("model.layers.{n}.self_attn.k_proj", "blk.{n}.attn_k"),
        ("model.layers.{n}.self_attn.v_proj", "blk.{n}.attn_v"),
        ("model.layers.{n}.self_attn.o_proj", "blk.{n}.attn_output"),
        ("model.layers.{n}.post_attention_layernorm", "blk.{n}.ffn_norm"),
        ("model.layers.{n}.mlp.gate_proj", "blk.{n}.ffn_gate"),
        ("model.layers.{n}.mlp.up_proj", "blk.{n}.ffn_up"),
        ("model.layers.{n}.mlp.down_proj", "blk.{n}.ffn_down"),
    ]

    func writer(name: String, precision: ModelImporter.Precision) throws -> GGUFWriter {
        guard vocabulary.model == "BPE" else {
            throw HearthError(.invalidRequest, "a Llama model needs a BPE tokenizer; tokenizer.json has \(vocabulary.model)")
        }
        if let scaling = config.values["rope_scaling"] as? [String: Any] {
            throw HearthError(
                .invalidRequest, "rope_scaling (\(scaling["rope_type"] ?? scaling["type"] ?? "?")) is not supported by the importer yet")
        }
        let layers = try config.int("num_hidden_layers")
        let width = try config.int("hidden_size")
        let heads = try config.int("num_attention_heads")
        let kvHeads = (try? config.int("num_key_value_heads")) ?? heads
        let headWidth = (try? config.int("head_dim")) ?? width / heads
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        writer.set("general.name", .string(name))
        writer.set("general.file_type", .uint32(precision.fileType))
        writer.set("general.quantization_version", .uint32(2))
        writer.set("llama.context_length", .uint32(UInt32(try config.int("max_position_embeddings"))))
        writer.set("llama.embedding_length", .uint32(UInt32(width)))
        writer.set("llama.feed_forward_length", .uint32(UInt32(try config.int("intermediate_size"))))
        writer.set("llama.block_count", .uint32(UInt32(layers)))
        writer.set("llama.attention.head_count", .uint32(UInt32(heads)))
        writer.set("llama.attention.head_count_kv", .uint32(UInt32(kvHeads)))
        writer.set("llama.rope.freq_base", .float32(Float(config.double("rope_theta") ?? 10_000)))
        writer.set("llama.rope.dimension_count", .uint32(UInt32(headWidth)))
        writer.set("llama.attention.layer_norm_rms_epsilon", .float32(Float(config.double("rms_norm_eps") ?? 1e-6)))
        writer.set("llama.vocab_size", .uint32(UInt32(vocabulary.tokens.count)))
        try setTokenizer(&writer)

        let tied = config.values["tie_word_embeddings"] as? Bool ?? false
        for layer in [nil] + (0..<layers).map(Optional.some) {
            for (source, target) in Self.names where source.contains("{n}") == (layer != nil) {
                if source == "lm_head" && (tied || weights.tensors["lm_head.weight"] == nil) { continue }  // llama.cpp reuses token_embd
                let number = layer.map(String.init) ?? ""
                let source = source.replacingOccurrences(of: "{n}", with: number) + ".weight"
                let target = target.replacingOccurrences(of: "{n}", with: number) + ".weight"
                let permuteHeads = target.hasSuffix("attn_q.weight") ? heads : target.hasSuffix("attn_k.weight") ? kvHeads : nil
                writer.tensors.append(try tensor(source, as: target, precision: precision, permuteHeads: permuteHeads))
            }
        }
        return writer
    }

    private func setTokenizer(_ writer: inout GGUFWriter) throws {
        writer.set("tokenizer.ggml.model", .string("gpt2"))
        writer.set("tokenizer.ggml.pre", .string(try preTokenizerName()))
        let tokens = vocabulary.tokens.map(GGUFValue.string)
        // llama.cpp's token types: 1 normal, 3 control (special), 4 user-defined (added, not special).
        let types = vocabulary.tokens.indices.map { id -> GGUFValue in
            .int32(vocabulary.special.contains(id) ? 3 : vocabulary.added.contains(id) ? 4 : 1)
        }
        writer.set("tokenizer.ggml.tokens", .array(.string, count: tokens.count, values: tokens))
        writer.set("tokenizer.ggml.token_type", .array(.int32, count: types.count, values: types))
        writer.set(
            "tokenizer.ggml.merges", .array(.string, count: vocabulary.merges.count, values: vocabulary.merges.map(GGUFValue.string)))
        let tokenizerConfig =
            (try? Data(contentsOf: directory.appending(path: "tokenizer_config.json")))
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        for (key, configKey) in [("bos", "bos_token_id"), ("eos", "eos_token_id"), ("padding", "pad_token_id")] {
            if let id = config.values[configKey] as? Int { writer.set("tokenizer.ggml.\(key)_token_id", .uint32(UInt32(id))) }
        }
        writer.set("tokenizer.ggml.add_bos_token", .bool(tokenizerConfig["add_bos_token"] as? Bool ?? false))
        if let template = tokenizerConfig["chat_template"] as? String {
            writer.set("tokenizer.chat_template", .string(template))
        }
    }

    /// llama.cpp's name for the way `tokenizer.json` splits text before BPE.
    /// - Throws: `HearthError.invalidRequest` for a pre-tokenizer llama.cpp would not reproduce.
    func preTokenizerName() throws -> String {
        let steps = (vocabulary.preTokenizer?["pretokenizers"] as? [[String: Any]]) ?? [vocabulary.preTokenizer ?? [:]]
        let types = steps.map { $0["type"] as? String ?? "" }
        switch types {
        case ["ByteLevel"] where steps[0]["use_regex"] as? Bool ?? true:
            return "gpt-2"
        case ["Digits", "ByteLevel"] where steps[0]["individual_digits"] as? Bool == true:
            return "smollm"
        case ["Split", "ByteLevel"]:
            let pattern = ((steps[0]["pattern"] as? [String: Any])?["Regex"] as? String) ?? ""
            if pattern.hasPrefix("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}") { return "llama-bpe" }
        default: break
        }
        throw HearthError(
            .invalidRequest,
            "tokenizer.json's pre-tokenizer (\(types.joined(separator: ", "))) is not one the importer knows (GPT-2, SmolLM or Llama 3 byte-level BPE)"
        )
    }

    /// One weight; query and key rows are reordered per head from Hugging Face's
    /// (first halves, then second halves) to llama.cpp's interleaved RoPE pairs.
    private func tensor(_ name: String, as target: String, precision: ModelImporter.Precision, permuteHeads: Int?) throws
        -> GGUFWriter.Tensor
    {
        guard let info = weights.tensors[name] else { throw HearthError(.invalidRequest, "the model has no tensor \(name)") }
        let shape = Array(info.shape.reversed())
        let type = shape.count < 2 ? GGMLType.f32 : (shape[0] % precision.type.blockSize == 0 ? precision.type : .f16)
        let weights = self.weights
        return GGUFWriter.Tensor(name: target, shape: shape, type: type) {
            var values = try weights.floats(name)
            if let heads = permuteHeads { values = Self.permute(values, rows: info.shape[0], columns: info.shape[1], heads: heads) }
            return TensorEncoding.encode(values, as: type)
        }
    }

    /// Row `h·d + j·d/2 + i` moves to `h·d + 2i + j` (d = rows per head), as llama.cpp's converter does.
    static func permute(_ values: [Float], rows: Int, columns: Int, heads: Int) -> [Float] {
        let perHead = rows / heads
        let half = perHead / 2
        var result = values
        for head in 0..<heads {
            for j in 0..<2 {
                for i in 0..<half {
                    let from = (head * perHead + j * half + i) * columns
                    let to = (head * perHead + 2 * i + j) * columns
                    result.replaceSubrange(to..<to + columns, with: values[from..<from + columns])
                }
            }
        }
        return result
    }
}
