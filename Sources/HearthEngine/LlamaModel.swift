internal import CLlama
import Foundation
import HearthCore

/// A loaded GGUF model: weights, vocabulary and metadata. Used only on engine threads.
final class LlamaModel: @unchecked Sendable {
    let pointer: OpaquePointer
    let vocab: OpaquePointer
    let path: String

    /// Loads the model's weights (memory-mapped). Blocking: call on an engine thread.
    /// - Throws: `HearthError.modelLoadFailed` when the file is missing or not a usable GGUF.
    init(path: String) throws {
        LlamaBackend.initialize()
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw HearthError(.modelLoadFailed, "cannot read the model file", detail: path)
        }
        var params = llama_model_default_params()
        params.n_gpu_layers = 0
        guard let model = llama_model_load_from_file(path, params) else {
            throw HearthError(
                .modelLoadFailed, "the model file is not a GGUF model llama.cpp can load (truncated or corrupt?)", detail: path)
        }
        pointer = model
        vocab = llama_model_get_vocab(model)
        self.path = path
    }

    deinit {
        llama_model_free(pointer)
    }

    /// A metadata value as a string (`general.architecture`), or nil.
    func metadata(_ key: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        var count = llama_model_meta_val_str(pointer, key, &buffer, buffer.count)
        if count < 0 { return nil }
        if Int(count) >= buffer.count {
            buffer = [CChar](repeating: 0, count: Int(count) + 1)
            count = llama_model_meta_val_str(pointer, key, &buffer, buffer.count)
        }
        return String(decoding: buffer.prefix(Int(count)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    var architecture: String { metadata("general.architecture") ?? "unknown" }
    var contextTrain: Int { Int(llama_model_n_ctx_train(pointer)) }
    var embeddingLength: Int { Int(llama_model_n_embd(pointer)) }
    var parameterCount: UInt64 { llama_model_n_params(pointer) }
    var vocabularySize: Int32 { llama_vocab_n_tokens(vocab) }
    var isEncoderOnly: Bool { llama_model_has_encoder(pointer) && !llama_model_has_decoder(pointer) }

    /// llama.cpp's one-line description, such as `llama 135M Q4_1`.
    var summary: String {
        var buffer = [CChar](repeating: 0, count: 256)
        let count = llama_model_desc(pointer, &buffer, buffer.count)
        return String(decoding: buffer.prefix(max(0, Int(count))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The Jinja chat template stored in the file, if any.
    var embeddedTemplate: String? {
        llama_model_chat_template(pointer, nil).map { String(cString: $0) }
    }

    /// Tokens for `text`. `addSpecial` adds BOS/EOS as the model wants; `parseSpecial` reads
    /// control tokens written as text (`<|im_start|>`) as themselves: only for text Hearth
    /// wrote, such as a chat template's markers, never for what a user sent.
    func tokenize(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [llama_token] {
        let length = Int32(text.utf8.count)
        var tokens = [llama_token](repeating: 0, count: Int(length) + 8)
        var count = llama_tokenize(vocab, text, length, &tokens, Int32(tokens.count), addSpecial, parseSpecial)
        if count < 0 {
            tokens = [llama_token](repeating: 0, count: Int(-count))
            count = llama_tokenize(vocab, text, length, &tokens, Int32(tokens.count), addSpecial, parseSpecial)
        }
        return Array(tokens.prefix(Int(max(0, count))))
    }

    /// The bytes a token stands for (control tokens give none unless `special`). May be part
    /// of a UTF-8 character.
    func piece(_ token: llama_token, special: Bool = false) -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: 64)
        var count = llama_token_to_piece(vocab, token, &buffer, Int32(buffer.count), 0, special)
        if count < 0 {
            buffer = [CChar](repeating: 0, count: Int(-count))
            count = llama_token_to_piece(vocab, token, &buffer, Int32(buffer.count), 0, special)
        }
        return buffer.prefix(Int(max(0, count))).map { UInt8(bitPattern: $0) }
    }

    func isEndOfGeneration(_ token: llama_token) -> Bool {
        llama_vocab_is_eog(vocab, token)
    }
}

/// Process-wide llama.cpp set-up: backend initialisation once, and its logging quietened
/// to errors unless `HEARTH_LLAMA_LOG=1`.
enum LlamaBackend {
    private static let once: Void = {
        llama_backend_init()
        if ProcessInfo.processInfo.environment["HEARTH_LLAMA_LOG"] != "1" {
            llama_log_set(
                { level, text, _ in
                    guard level == GGML_LOG_LEVEL_ERROR, let text else { return }
                    FileHandle.standardError.write(Data("llama.cpp: ".utf8) + Data(bytes: text, count: strlen(text)))
                }, nil)
        }
    }()

    static func initialize() { once }
}
