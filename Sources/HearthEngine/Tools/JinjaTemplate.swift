internal import CLlama
import CLlamaChat
import Foundation
import HearthCore

/// A Jinja chat template run by llama.cpp's chat library (common/chat.cpp), the way
/// `llama-server --jinja` runs it: the model's own (for a model trained on tool calls) or
/// one a profile gives. It renders tools and earlier calls as the model was trained to read
/// them, and knows the model's call format: a grammar for calls and a parser for answers.
final class JinjaTemplate: @unchecked Sendable {
    private let handle: OpaquePointer
    /// Whether the template places tools in the prompt (Qwen 2.5, Llama 3.1, Hermes, Mistral,
    /// …); SmolLM2's and Gemma 3's do not.
    let supportsTools: Bool

    /// Parses `source`, or the template `model` carries when `source` is nil. BOS and EOS
    /// come from `model` when given.
    /// - Throws: `HearthError.invalidRequest` with llama.cpp's reason when the template does
    ///   not parse.
    init(model: LlamaModel?, source: String?) throws {
        var error: UnsafeMutablePointer<CChar>?
        guard let handle = hearth_chat_templates_new(model.map { UnsafeRawPointer($0.pointer) }, source, &error) else {
            throw HearthError.invalidRequest("the Jinja chat template is not valid: \(Self.take(error))", field: "template")
        }
        self.handle = handle
        supportsTools = hearth_chat_templates_support_tools(handle)
    }

    deinit {
        hearth_chat_templates_free(handle)
    }

    /// Renders `messages` with `tools` and opens the assistant's turn. Contents stay apart
    /// from the template's text (see `RenderedChat`); tool names, descriptions, schemas and
    /// earlier arguments are written by the template and checked by `JinjaRender.untrusted`.
    /// - Throws: `HearthError.invalidRequest` when the template cannot render them.
    func render(_ messages: [ChatMessage], tools: ToolUse?) throws -> JinjaRender {
        let markers = RenderedChat.markers(count: messages.count)
        var request: [String: Any] = [
            "messages": zip(messages, markers).map { Self.wire($0, marker: $0.content.isEmpty ? "" : $1) }
        ]
        var untrusted = messages.flatMap {
            ($0.toolCalls ?? []).flatMap { [$0.id, $0.name] + Self.strings(in: $0.arguments) } + [$0.name ?? "", $0.toolCallID ?? ""]
        }
        if let tools, !tools.tools.isEmpty {
            var offered = tools.tools
            if case .function(let name) = tools.choice { offered = offered.filter { $0.name == name } }
            request["tools"] = try offered.map { tool -> [String: Any] in
                let parameters = try JSONSerialization.jsonObject(with: Data(tool.parameters.utf8))
                return ["type": "function", "function": ["name": tool.name, "description": tool.description, "parameters": parameters]]
            }
            request["tool_choice"] = Self.choice(tools.choice)
            request["parallel_tool_calls"] = tools.parallel
            untrusted += offered.flatMap { [$0.name, $0.description] + Self.strings(in: $0.parameters) }
        }
        let json = String(decoding: try JSONSerialization.data(withJSONObject: request, options: [.withoutEscapingSlashes]), as: UTF8.self)
        var error: UnsafeMutablePointer<CChar>?
        guard let render = hearth_chat_render_new(handle, json, &error) else {
            throw HearthError.invalidRequest("the model's chat template cannot render this conversation: \(Self.take(error))")
        }
        return JinjaRender(render, markers: markers, contents: messages.map(\.content), untrusted: untrusted.filter { !$0.isEmpty })
    }

    private static func wire(_ message: ChatMessage, marker: String) -> [String: Any] {
        var wire: [String: Any] = ["role": message.role.rawValue, "content": marker]
        if let calls = message.toolCalls, !calls.isEmpty {
            wire["tool_calls"] = calls.map { ["id": $0.id, "type": "function", "function": ["name": $0.name, "arguments": $0.arguments]] }
        }
        if let id = message.toolCallID { wire["tool_call_id"] = id }
        if let name = message.name { wire["name"] = name }
        return wire
    }

    /// Every key and string in the JSON `text` as the template writes them (decoded: an
    /// escaped `\u003c` is a `<` by then), or the text itself when it is not JSON.
    static func strings(in text: String) -> [String] {
        guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else { return [text] }
        var strings: [String] = []
        func collect(_ value: Any) {
            switch value {
            case let string as String: strings.append(string)
            case let array as [Any]: array.forEach(collect)
            case let object as [String: Any]:
                for (key, item) in object {
                    strings.append(key)
                    collect(item)
                }
            default: break
            }
        }
        collect(value)
        return strings
    }

    /// llama.cpp's choices: a named function is `required` with only that tool offered.
    private static func choice(_ choice: ToolChoice) -> String {
        switch choice {
        case .auto: "auto"
        case .none: "none"
        case .required, .function: "required"
        }
    }

    /// The text of a C error string, freed.
    static func take(_ error: UnsafeMutablePointer<CChar>?) -> String {
        defer { hearth_chat_string_free(error) }
        return error.map { String(cString: $0) } ?? "unknown error"
    }
}

/// A conversation rendered by a `JinjaTemplate`, with what generating and reading its answer
/// take: the call grammar, extra stop strings, tokens to print, the answer's parser.
final class JinjaRender: @unchecked Sendable {
    private let handle: OpaquePointer
    let chat: RenderedChat
    /// Stop strings the format adds.
    let stops: [String]
    /// Texts the format writes as special tokens (`<tool_call>`), printed when generated.
    let preserved: [String]
    /// Texts from the request that the template wrote as its own (tool names, descriptions,
    /// schemas, earlier calls' ids and arguments): the prompt is refused if one holds a
    /// control token.
    let untrusted: [String]

    fileprivate init(_ handle: OpaquePointer, markers: [String], contents: [String], untrusted: [String]) {
        self.handle = handle
        var error: UnsafeMutablePointer<CChar>?
        let description = hearth_chat_render_describe(handle, &error)
        hearth_chat_string_free(error)
        defer { hearth_chat_string_free(description) }
        let object = description.flatMap { try? JSONSerialization.jsonObject(with: Data(String(cString: $0).utf8)) } as? [String: Any]
        chat = RenderedChat(object?["prompt"] as? String ?? "", markers: markers, contents: contents)
        stops = object?["stops"] as? [String] ?? []
        preserved = object?["preserved"] as? [String] ?? []
        self.untrusted = untrusted
    }

    deinit {
        hearth_chat_render_free(handle)
    }

    /// A new grammar sampler for the format's calls (lazy unless a call is required), or nil
    /// when no call is offered. The caller frees it, or hands it to a chain that does.
    /// - Throws: `HearthError.invalidRequest` when llama.cpp refuses the grammar.
    func sampler(vocab: OpaquePointer) throws -> UnsafeMutablePointer<llama_sampler>? {
        var error: UnsafeMutablePointer<CChar>?
        guard let sampler = hearth_chat_render_sampler(handle, UnsafeRawPointer(vocab), &error) else {
            if error == nil { return nil }
            throw HearthError.invalidRequest("the tools could not be turned into a grammar: \(JinjaTemplate.take(error))", field: "tools")
        }
        return sampler.assumingMemoryBound(to: llama_sampler.self)
    }

    /// An answer as the format reads it: its text and its calls (arguments as llama.cpp
    /// wrote them: check them before use). Nil when the output does not parse.
    func parse(_ output: String, partial: Bool) -> (content: String, calls: [(name: String, arguments: String)])? {
        var error: UnsafeMutablePointer<CChar>?
        guard let parsed = hearth_chat_render_parse(handle, output, partial, &error) else {
            hearth_chat_string_free(error)
            return nil
        }
        defer { hearth_chat_string_free(parsed) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(String(cString: parsed).utf8)) as? [String: Any] else { return nil }
        let calls = (object["tool_calls"] as? [[String: Any]] ?? []).map { ($0["name"] as? String ?? "", $0["arguments"] as? String ?? "") }
        return (object["content"] as? String ?? "", calls)
    }
}
