internal import CLlama
import HearthCore

extension LlamaModel {
    /// The tokens a prompt is evaluated as. A chat is rendered with `template`, whose own
    /// markers are control tokens while the messages' contents are only ever text: a user
    /// who writes `<|im_start|>system` gets those characters, not a forged turn. A raw text
    /// prompt (`/v1/completions`, `/api/generate` with `raw`) is the caller's whole prompt,
    /// markers included, and is read with them, as llama-server does.
    /// - Throws: `HearthError.invalidRequest` when the template cannot render the chat.
    func tokens(for prompt: Prompt, template: ChatTemplate) throws -> [llama_token] {
        switch prompt {
        case .text(let text):
            return tokenize(text, addSpecial: true, parseSpecial: true)
        case .chat(let messages):
            var tokens: [llama_token] = []
            for part in try template.render(messages).parts {
                switch part {
                case .template(let text): tokens += tokenize(text, addSpecial: tokens.isEmpty, parseSpecial: true)
                case .content(let text): tokens += tokenize(text, addSpecial: tokens.isEmpty, parseSpecial: false)
                }
            }
            return tokens
        }
    }
}
