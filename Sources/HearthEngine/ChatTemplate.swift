internal import CLlama
import Foundation
import HearthCore

/// Renders a conversation into prompt text with llama.cpp's built-in template engine.
///
/// The model's own template is used when it has one that llama.cpp recognises. A model
/// without one gets the turn format of its architecture (Gemma turns for `gemma*`), never
/// a silent ChatML that the model was not trained on.
struct ChatTemplate: Sendable {
    /// What is passed to `llama_chat_apply_template`: a template text or a built-in name.
    let source: String
    /// For people: `the model's own (chatml)`, `gemma (by architecture)`.
    let description: String
    /// A default system prompt the model's Jinja template adds when a conversation has none.
    let defaultSystemPrompt: String?
    /// Whether the template trims the contents it is given (llama.cpp's Gemma and Llama 2
    /// templates do).
    let trimsContent: Bool

    /// Built-in template names by architecture, for models whose file carries no template.
    static let byArchitecture: [String: String] = [
        "gemma": "gemma", "gemma2": "gemma", "gemma3": "gemma", "gemma3n": "gemma",
        "phi3": "phi3", "llama4": "llama4", "command-r": "command-r", "deepseek2": "deepseek2",
        "exaone": "exaone3", "granite": "granite", "chatglm": "chatglm4",
    ]

    init(embedded: String?, architecture: String) {
        if let embedded, let name = Self.detect(embedded) {
            source = embedded
            description = "the model's own (\(name))"
            defaultSystemPrompt = Self.defaultSystemPrompt(in: embedded)
        } else {
            let name = Self.byArchitecture[architecture] ?? "chatml"
            source = name
            let why = embedded == nil ? "the file has none" : "the file's template is not recognised"
            description = "\(name) (by architecture \(architecture); \(why))"
            defaultSystemPrompt = nil
        }
        trimsContent = Self.trims(source)
    }

    /// A built-in template chosen by name (a profile's TEMPLATE).
    init(named name: String) {
        source = name
        description = "\(name) (by the profile)"
        defaultSystemPrompt = nil
        trimsContent = Self.trims(name)
    }

    /// Renders `messages` and opens the assistant's turn, keeping apart what the template
    /// wrote from what the messages say (see `RenderedChat`).
    /// - Throws: `HearthError.invalidRequest` when llama.cpp cannot apply the template.
    func render(_ messages: [ChatMessage]) throws -> RenderedChat {
        var messages = messages
        if let defaultSystemPrompt, !messages.contains(where: { $0.role == .system }) {
            messages.insert(ChatMessage(role: .system, content: defaultSystemPrompt), at: 0)
        }
        let markers = RenderedChat.markers(count: messages.count)
        let placeholders = zip(messages, markers).map { $0.content.isEmpty ? "" : $1 }
        let rendered = try Self.apply(source, placeholders, roles: messages.map(\.role.rawValue))
        var contents = messages.map(\.content)
        if trimsContent { contents = contents.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } }
        return RenderedChat(rendered, markers: markers, contents: contents)
    }

    /// Whether `source` trims contents, found by rendering a padded probe.
    private static func trims(_ source: String) -> Bool {
        guard let text = try? apply(source, [" \u{E000}probe\u{E001} "], roles: ["user"]) else { return false }
        return !text.contains(" \u{E000}probe\u{E001} ")
    }

    private static func apply(_ source: String, _ contents: [String], roles: [String]) throws -> String {
        let roles = roles.map { strdup($0) }
        let contents = contents.map { strdup($0) }
        defer {
            roles.forEach { free($0) }
            contents.forEach { free($0) }
        }
        var chat = zip(roles, contents).map { llama_chat_message(role: $0, content: $1) }
        var capacity = contents.reduce(1024) { $0 + 2 * strlen($1!) }
        var buffer = [CChar](repeating: 0, count: capacity)
        var count = llama_chat_apply_template(source, &chat, chat.count, true, &buffer, Int32(capacity))
        if count > capacity {
            capacity = Int(count) + 1
            buffer = [CChar](repeating: 0, count: capacity)
            count = llama_chat_apply_template(source, &chat, chat.count, true, &buffer, Int32(capacity))
        }
        guard count >= 0 else { throw HearthError.invalidRequest("the model's chat template cannot render this conversation") }
        return String(decoding: buffer.prefix(Int(count)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The built-in name llama.cpp maps a template text to, or nil when it does not know it.
    static func detect(_ template: String) -> String? {
        var chat = [llama_chat_message]()
        var buffer = [CChar](repeating: 0, count: 64)
        guard llama_chat_apply_template(template, &chat, 0, true, &buffer, Int32(buffer.count)) >= 0 else { return nil }
        // Identify which family by rendering one message with each built-in name.
        let probe = "probe"
        let mine = renderProbe(template, probe)
        for name in builtinNames() where renderProbe(name, probe) == mine {
            return name
        }
        return "recognised"
    }

    /// The literal system prompt a Jinja template inserts when there is no system message
    /// (SmolLM2's "You are a helpful AI assistant named SmolLM…"), found in its text.
    static func defaultSystemPrompt(in template: String) -> String? {
        // Matches '<|im_start|>system⏎TEXT<|im_end|>' written as a literal string in the
        // template, with the line break either real or escaped as \n.
        guard let start = template.range(of: "'<|im_start|>system") else { return nil }
        var rest = template[start.upperBound...]
        if rest.hasPrefix("\\n") {
            rest = rest.dropFirst(2)
        } else if rest.hasPrefix("\n") {
            rest = rest.dropFirst()
        } else {
            return nil
        }
        guard let end = rest.range(of: "<|im_end|>") else { return nil }
        let text = String(rest[..<end.lowerBound])
        guard !text.contains("'"), !text.contains("{"), !text.isEmpty else { return nil }
        return text
    }

    static func builtinNames() -> [String] {
        var pointers = [UnsafePointer<CChar>?](repeating: nil, count: 128)
        let count = llama_chat_builtin_templates(&pointers, pointers.count)
        return pointers.prefix(Int(max(0, count))).compactMap { $0.map { String(cString: $0) } }
    }

    private static func renderProbe(_ source: String, _ text: String) -> String? {
        let role = strdup("user")
        let content = strdup(text)
        defer {
            free(role)
            free(content)
        }
        var chat = [llama_chat_message(role: role, content: content)]
        var buffer = [CChar](repeating: 0, count: 512)
        let count = llama_chat_apply_template(source, &chat, 1, true, &buffer, Int32(buffer.count))
        guard count >= 0, count < buffer.count else { return nil }
        return String(decoding: buffer.prefix(Int(count)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A rendered conversation in the order the model reads it: the template's own text (turn
/// markers, role names), where control tokens are meant, and the messages' contents, which
/// are only ever text.
struct RenderedChat: Equatable {
    enum Part: Equatable {
        case template(String)
        case content(String)
    }

    var parts: [Part]

    /// Splits `rendered`, which a template wrote with `markers[i]` in place of message i's
    /// content, into the template's own text and `contents`. One pass over the text (a
    /// conversation of a thousand messages took minutes when each marker was searched for).
    init(_ rendered: String, markers: [String], contents: [String]) {
        let index = Dictionary(markers.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let scalars = rendered.unicodeScalars
        var parts: [Part] = []
        var templateStart = scalars.startIndex
        var cursor = scalars.startIndex
        while let open = scalars[cursor...].firstIndex(of: "\u{E000}") {
            guard let close = scalars[open...].firstIndex(of: "\u{E001}") else { break }
            let after = scalars.index(after: close)
            guard let message = index[String(scalars[open..<after])] else {
                cursor = scalars.index(after: open)
                continue
            }
            if open > templateStart { parts.append(.template(String(scalars[templateStart..<open]))) }
            if !contents[message].isEmpty { parts.append(.content(contents[message])) }
            (templateStart, cursor) = (after, after)
        }
        if templateStart < scalars.endIndex { parts.append(.template(String(scalars[templateStart...]))) }
        self.parts = parts
    }

    /// A template renders a marker in place of each content (private-use characters around
    /// a random number, which no template writes), never the content itself: the parts
    /// between markers are the template's own text.
    static func markers(count: Int) -> [String] {
        let nonce = UInt64.random(in: 0...UInt64.max)
        return (0..<count).map { "\u{E000}\(nonce)-\($0)\u{E001}" }
    }

    /// The prompt as one string, as llama.cpp's template renders it.
    var text: String {
        parts.map {
            switch $0 {
            case .template(let text), .content(let text): text
            }
        }.joined()
    }
}
