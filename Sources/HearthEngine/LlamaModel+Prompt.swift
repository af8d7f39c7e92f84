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
            return tokens(for: try template.render(messages))
        }
    }

    /// The tokens of a chat a Jinja template rendered, read as `tokens(for:template:)` reads
    /// one. Its template text holds tool names, descriptions, schemas and earlier arguments
    /// as the template wrote them, so none of those may hold a control token's text.
    /// - Throws: `HearthError.invalidRequest` naming `tools` when one does.
    func tokens(for render: JinjaRender) throws -> [llama_token] {
        for text in render.untrusted
        where tokenize(text, addSpecial: false, parseSpecial: true) != tokenize(text, addSpecial: false, parseSpecial: false) {
            throw HearthError.invalidRequest(
                "a tool's name, description or schema, or an earlier call, holds one of the model's control tokens (\(text.prefix(80).debugDescription))",
                field: "tools")
        }
        return tokens(for: render.chat)
    }

    private func tokens(for chat: RenderedChat) -> [llama_token] {
        var tokens: [llama_token] = []
        for part in chat.parts {
            switch part {
            case .template(let text): tokens += tokenize(text, addSpecial: tokens.isEmpty, parseSpecial: true)
            case .content(let text): tokens += tokenize(text, addSpecial: tokens.isEmpty, parseSpecial: false)
            }
        }
        return tokens
    }

    /// The tokens of `texts` that are one token each (a call format's `<tool_call>`).
    func singleTokens(_ texts: [String]) -> Set<llama_token> {
        Set(
            texts.compactMap { text in
                let tokens = tokenize(text, addSpecial: false, parseSpecial: true)
                return tokens.count == 1 ? tokens[0] : nil
            })
    }
}
