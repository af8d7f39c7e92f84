internal import CLlama
import HearthCore

/// Builds llama.cpp sampler chains from request parameters, with llama-server's defaults.
enum Sampler {
    static let defaultTemperature = 0.8
    static let defaultTopK = 40
    static let defaultTopP = 0.95
    static let defaultMinP = 0.05
    static let penaltyWindow: Int32 = 64

    /// Whether `params` ask for plain greedy decoding (temperature 0, no penalties), which
    /// `argmax` does without building llama.cpp's candidate list: 262,144 entries a token for Gemma.
    static func isGreedy(_ params: GenerationParams) -> Bool {
        params.grammar == nil && (params.temperature ?? defaultTemperature) <= 0 && (params.repeatPenalty ?? 1) == 1
            && (params.presencePenalty ?? 0) == 0 && (params.frequencyPenalty ?? 0) == 0
    }

    /// The index of the first largest logit: the token llama.cpp's greedy sampler picks.
    static func argmax(_ logits: UnsafePointer<Float>, count: Int) -> llama_token {
        var best = 0
        var bestValue = logits[0]
        for index in 1..<count where logits[index] > bestValue {
            best = index
            bestValue = logits[index]
        }
        return llama_token(best)
    }

    /// A new chain; the caller frees it with `llama_sampler_free`. Temperature 0 is greedy.
    /// A grammar, when given, comes first: it removes every token the grammar does not allow.
    /// `constraint`, a grammar sampler of its own (a call format's), takes the place of
    /// `params.grammar`; the chain owns it.
    /// - Throws: `HearthError.invalidRequest` when llama.cpp cannot parse the grammar.
    static func make(_ params: GenerationParams, vocab: OpaquePointer, constraint: UnsafeMutablePointer<llama_sampler>? = nil) throws
        -> UnsafeMutablePointer<llama_sampler>
    {
        let vocabularySize = llama_vocab_n_tokens(vocab)
        let chain = llama_sampler_chain_init(llama_sampler_chain_default_params())!
        if let constraint {
            llama_sampler_chain_add(chain, constraint)
        } else if let grammar = params.grammar {
            guard let constraint = llama_sampler_init_grammar(vocab, grammar, "root") else {
                llama_sampler_free(chain)
                throw HearthError.invalidRequest("the grammar (or the JSON schema it came from) is not valid", field: "response_format")
            }
            llama_sampler_chain_add(chain, constraint)
        }
        let repeatPenalty = Float(params.repeatPenalty ?? 1)
        let presence = Float(params.presencePenalty ?? 0)
        let frequency = Float(params.frequencyPenalty ?? 0)
        if repeatPenalty != 1 || presence != 0 || frequency != 0 {
            llama_sampler_chain_add(chain, llama_sampler_init_penalties(vocabularySize, penaltyWindow, repeatPenalty, frequency, presence))
        }
        let temperature = params.temperature ?? defaultTemperature
        if temperature <= 0 {
            llama_sampler_chain_add(chain, llama_sampler_init_greedy())
            return chain
        }
        let topK = params.topK ?? defaultTopK
        if topK > 0 { llama_sampler_chain_add(chain, llama_sampler_init_top_k(Int32(topK))) }
        llama_sampler_chain_add(chain, llama_sampler_init_top_p(Float(params.topP ?? defaultTopP), 1))
        llama_sampler_chain_add(chain, llama_sampler_init_min_p(Float(params.minP ?? defaultMinP), 1))
        llama_sampler_chain_add(chain, llama_sampler_init_temp(Float(temperature)))
        llama_sampler_chain_add(chain, llama_sampler_init_dist(params.seed ?? UInt32.random(in: 0..<UInt32.max)))
        return chain
    }
}
