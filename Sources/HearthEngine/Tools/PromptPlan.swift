import HearthCore
import Synchronization

/// How one request is rendered and its answer read, chosen by its template and tools:
/// - a model whose template knows tools (its own, or a profile's Jinja template), asked with
///   tools or with earlier calls in the chat, is rendered by that template and answers in
///   its own call format (`JinjaRender`, read by `NativeToolAnswer`);
/// - any other model offered calls answers in `JSONToolFormat` (read by `JSONToolAnswer`);
/// - the rest is rendered by llama.cpp's built-in templates, or a profile's Jinja template,
///   and read as text.
struct PromptPlan {
    enum Reading {
        case plain
        case json(JSONToolFormat)
        case native(JinjaRender)
    }

    /// What the batch loop evaluates when `render` is nil.
    let prompt: Prompt
    /// The chat as a Jinja template rendered it, evaluated instead of `prompt`.
    let render: JinjaRender?
    let reading: Reading

    /// - Throws: `HearthError.invalidRequest` when a Jinja template does not parse or cannot
    ///   render the chat.
    init(_ prompt: Prompt, template: String?, tools: ToolUse?, templates: JinjaTemplates) throws {
        let jinja = try template.flatMap(templates.template(for:))
        guard case .chat(let messages) = prompt else {
            (self.prompt, render, reading) = (prompt, nil, .plain)
            return
        }
        let earlierCalls = messages.contains { $0.role == .tool || $0.toolCalls != nil }
        if let own = jinja ?? (template == nil ? templates.own : nil), own.supportsTools, !(tools?.tools ?? []).isEmpty || earlierCalls {
            let render = try own.render(messages, tools: tools)
            (self.prompt, self.render, reading) = (prompt, render, tools?.offersCalls == true ? .native(render) : .plain)
            return
        }
        var chat = messages
        var reading = Reading.plain
        if let tools, tools.offersCalls {
            let format = JSONToolFormat(use: tools)
            chat = format.messages(messages)
            reading = .json(format)
        } else if earlierCalls {
            chat = JSONToolFormat.plain(messages)
        }
        (self.prompt, self.reading) = (.chat(chat), reading)
        render = try jinja?.render(chat, tools: nil)
    }

    /// `events` of an answer with calls, read by `reader`: text as it comes, calls as the
    /// reader finds them, the finish reason `.toolCalls` when there were any.
    static func reading(_ events: AsyncThrowingStream<TokenEvent, any Error>, with reader: some ToolAnswerReader)
        -> AsyncThrowingStream<TokenEvent, any Error>
    {
        AsyncThrowingStream { continuation in
            let task = Task {
                var reader = reader
                var called = false
                do {
                    for try await event in events {
                        switch event {
                        case .text(let piece):
                            let (text, calls) = reader.feed(piece)
                            if !text.isEmpty { continuation.yield(.text(text)) }
                            calls.forEach { continuation.yield(.toolCall($0)) }
                            called = called || !calls.isEmpty
                        case .toolCall(let call):
                            continuation.yield(.toolCall(call))
                            called = true
                        case .done(let reason, let usage):
                            let (text, calls) = reader.finish()
                            if !text.isEmpty { continuation.yield(.text(text)) }
                            calls.forEach { continuation.yield(.toolCall($0)) }
                            continuation.yield(.done(called || !calls.isEmpty ? .toolCalls : reason, usage))
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// Reads an answer that may hold calls, as it streams.
protocol ToolAnswerReader: Sendable {
    /// The answer's new text and finished calls, given the model's next piece of output.
    mutating func feed(_ piece: String) -> (text: String, calls: [ToolCall])
    /// The text and calls not given yet, once the output has ended.
    func finish() -> (text: String, calls: [ToolCall])
}

/// A model's Jinja templates: its own when it knows tools, and those profiles give (parsed
/// once each, kept while few).
final class JinjaTemplates: Sendable {
    /// The model's own template, when it places tools in the prompt.
    let own: JinjaTemplate?
    private let model: LlamaModel
    private let given = Mutex<[String: JinjaTemplate]>([:])
    private static let mostKept = 16

    init(model: LlamaModel) {
        self.model = model
        let own = model.embeddedTemplate == nil ? nil : try? JinjaTemplate(model: model, source: nil)
        self.own = own?.supportsTools == true ? own : nil
    }

    /// Whether `template` is Jinja text rather than the name of a built-in template.
    static func isJinja(_ template: String) -> Bool {
        template.contains("{%") || template.contains("{{")
    }

    /// The parsed template when `template` is Jinja text; nil for a built-in name.
    /// - Throws: `HearthError.invalidRequest` when it does not parse.
    func template(for template: String) throws -> JinjaTemplate? {
        guard Self.isJinja(template) else { return nil }
        if let known = given.withLock({ cache in cache[template] }) { return known }
        let parsed = try JinjaTemplate(model: model, source: template)
        given.withLock { cache in
            if cache.count >= Self.mostKept { cache.removeAll() }
            cache[template] = parsed
        }
        return parsed
    }
}
