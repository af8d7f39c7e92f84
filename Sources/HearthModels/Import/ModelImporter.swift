import Foundation
import HearthCore

/// Converts a Hugging Face model folder (`config.json`, `tokenizer.json`, `*.safetensors`)
/// to GGUF, natively: no Python, no PyTorch. Supported: BERT-family encoders (sentence
/// embedding models such as all-MiniLM-L6-v2) and Llama-family decoders with a byte-level
/// BPE tokenizer (SmolLM, Llama 3 and the like). A Whisper model in CTranslate2's format
/// (`model.bin`, `vocabulary.txt`) becomes the file whisper.cpp loads instead, and a Piper
/// voice (`NAME.onnx`, `NAME.onnx.json`) one ONNX file that carries its phoneme table.
public enum ModelImporter {
    /// The weight type of the converted matrices (vectors and norms stay F32).
    public enum Precision: String, CaseIterable, Sendable {
        case f16, q8_0

        var type: GGMLType { self == .f16 ? .f16 : .q8_0 }
        /// `general.file_type` (`enum llama_ftype`).
        var fileType: UInt32 { self == .f16 ? 1 : 7 }
    }

    /// Converts `directory` into a GGUF file at `output`, calling `progress(done, total)` per tensor.
    /// - Throws: `HearthError.invalidRequest` when the folder is incomplete, malformed or of an
    ///   unsupported architecture.
    public static func convert(
        _ directory: URL, to output: URL, name: String, precision: Precision, progress: (Int, Int) -> Void = { _, _ in }
    ) throws {
        if WhisperConversion.recognises(directory) {
            guard precision == .f16 else { throw HearthError(.invalidRequest, "Whisper models are converted to f16 only") }
            try WhisperConversion(directory: directory).write(to: output, progress: progress)
            return
        }
        if PiperConversion.voiceFile(in: directory) != nil {
            try PiperConversion(directory: directory).write(to: output, progress: progress)
            return
        }
        let config = try HFConfig(directory: directory)
        let weights = try SafetensorsFolder(directory: directory)
        let vocabulary = try HFVocabulary(directory: directory)
        let writer: GGUFWriter
        switch config.architecture {
        case "BertModel", "BertForMaskedLM":
            writer = try BertConversion(config: config, weights: weights, vocabulary: vocabulary, directory: directory)
                .writer(name: name, precision: precision)
        case "LlamaForCausalLM":
            writer = try LlamaConversion(config: config, weights: weights, vocabulary: vocabulary, directory: directory)
                .writer(name: name, precision: precision)
        default:
            throw HearthError(
                .invalidRequest,
                "\(directory.path) holds a \(config.architecture) model; `hearth models import` converts BertModel and LlamaForCausalLM"
            )
        }
        try writer.write(to: output, progress: progress)
    }
}

/// The fields of a Hugging Face `config.json` the converters read.
struct HFConfig {
    let values: [String: Any]
    let architecture: String

    init(directory: URL) throws {
        let file = directory.appending(path: "config.json")
        guard let data = try? Data(contentsOf: file) else {
            throw HearthError(.invalidRequest, "\(directory.path) has no config.json: is it a Hugging Face model folder?")
        }
        guard let values = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw HearthError(.invalidRequest, "\(file.path) is not valid JSON")
        }
        self.values = values
        architecture = (values["architectures"] as? [String])?.first ?? (values["model_type"] as? String) ?? "unknown"
    }

    /// An integer field.
    /// - Throws: `HearthError.invalidRequest` naming the missing field.
    func int(_ key: String) throws -> Int {
        guard let value = values[key] as? Int else { throw HearthError(.invalidRequest, "config.json has no integer \(key)") }
        return value
    }

    func double(_ key: String) -> Double? { (values[key] as? NSNumber)?.doubleValue }
}

/// A `tokenizer.json` vocabulary: tokens by id, which are special or added, BPE merges and
/// the pre-tokenizer.
struct HFVocabulary {
    var tokens: [String]
    var special: Set<Int>
    /// Tokens from `added_tokens` (special or not).
    var added: Set<Int>
    var ids: [String: Int]
    var model: String
    /// BPE merges as `"a b"`.
    var merges: [String]
    /// `pre_tokenizer` as written.
    var preTokenizer: [String: Any]?

    init(directory: URL) throws {
        let file = directory.appending(path: "tokenizer.json")
        guard let data = try? Data(contentsOf: file) else {
            throw HearthError(.invalidRequest, "\(directory.path) has no tokenizer.json")
        }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let modelSection = json["model"] as? [String: Any], let vocab = modelSection["vocab"] as? [String: Int]
        else { throw HearthError(.invalidRequest, "\(file.path) has no model.vocab table") }
        var ids = vocab
        var special = Set<Int>()
        var added = Set<Int>()
        for token in json["added_tokens"] as? [[String: Any]] ?? [] {
            guard let id = token["id"] as? Int, let content = token["content"] as? String else { continue }
            ids[content] = id
            added.insert(id)
            if token["special"] as? Bool == true { special.insert(id) }
        }
        // Merges are "a b" strings in older files, ["a", "b"] pairs in newer ones.
        merges = (modelSection["merges"] as? [Any] ?? []).compactMap { merge in
            if let text = merge as? String { return text }
            if let pair = merge as? [String], pair.count == 2 { return pair.joined(separator: " ") }
            return nil
        }
        preTokenizer = json["pre_tokenizer"] as? [String: Any]
        self.added = added
        let count = (ids.values.max() ?? -1) + 1
        var tokens = [String](repeating: "", count: count)
        for (token, id) in ids where id >= 0 { tokens[id] = token }
        if let missing = tokens.firstIndex(of: "") {
            throw HearthError(.invalidRequest, "\(file.path) has no token with id \(missing)")
        }
        self.tokens = tokens
        self.special = special
        self.ids = ids
        model = modelSection["type"] as? String ?? "unknown"
    }
}
