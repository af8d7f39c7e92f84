import Foundation
import HearthCore

/// Tool calling for models whose chat template has no place for tools (`smollm2:135m`'s,
/// Gemma 3's): the tools are described in a system message, and a grammar makes the whole
/// answer one JSON object: `{"tool_calls": [{"name": …, "arguments": {…}}]}`, or
/// `{"response": "…"}` to answer in words. Earlier calls and results go into the
/// conversation as the same JSON, so that the model sees its own format.
///
/// The grammar is what makes the calls usable: each name is one of the tools', the
/// arguments match that tool's schema, and the answer always parses. (Offering answering
/// as one more function, chosen by name, measured worse on `make bench-tools`: a small
/// model picks whichever function is listed first.)
struct JSONToolFormat {
    let use: ToolUse

    /// The conversation to render: the instructions first (joined to the caller's system
    /// message), calls and results as JSON text.
    func messages(_ messages: [ChatMessage]) -> [ChatMessage] {
        var rendered = Self.plain(messages)
        guard use.offersCalls else { return rendered }
        if rendered.first?.role == .system {
            rendered[0].content = instructions + "\n\n" + rendered[0].content
        } else {
            rendered.insert(ChatMessage(role: .system, content: instructions), at: 0)
        }
        return rendered
    }

    /// `messages` with calls and results written as the JSON this format uses (for a chat
    /// without tools, too, so that a conversation that had them still reads well).
    static func plain(_ messages: [ChatMessage]) -> [ChatMessage] {
        // A result names its call; the call names the function.
        var functions: [String: String] = [:]
        for message in messages { for call in message.toolCalls ?? [] { functions[call.id] = call.name } }
        return messages.map { message in
            switch message.role {
            case .assistant where !(message.toolCalls ?? []).isEmpty:
                let calls = (message.toolCalls ?? []).map {
                    #"{"name": "# + quoted($0.name) + #", "arguments": "# + ($0.arguments.isEmpty ? "{}" : $0.arguments) + "}"
                }
                return ChatMessage(role: .assistant, content: #"{"tool_calls": ["# + calls.joined(separator: ", ") + "]}")
            case .tool:
                // In words: as JSON, a small model answers a result with the same call again.
                let name = message.name ?? message.toolCallID.flatMap { functions[$0] } ?? "the function"
                return ChatMessage(role: .user, content: "Result of \(name): \(message.content)")
            default:
                return ChatMessage(role: message.role, content: message.content)
            }
        }
    }

    /// The tools the model may call now (only the named one for a named choice).
    private var offered: [Tool] {
        if case .function(let name) = use.choice { return use.tools.filter { $0.name == name } }
        return use.tools
    }

    private var mustCall: Bool {
        switch use.choice {
        case .required, .function: true
        case .auto, .none: false
        }
    }

    private var instructions: String {
        // Written by hand rather than serialized, to keep each tool's own key order.
        let list = offered.map { tool in
            let description = tool.description.isEmpty ? "" : #", "description": "# + Self.quoted(tool.description)
            return #"{"name": "# + Self.quoted(tool.name) + description + #", "parameters": "# + tool.parameters + "}"
        }
        let call = #"{"tool_calls": [{"name": "<function name>", "arguments": {<its arguments>}}]}"#
        // The wording was chosen on `make bench-tools`' dev half with smollm2:135m (calls
        // right / no-call questions left alone): without the example 28% / 56%, with a longer
        // one 19% / 83%, this one 26% / 67%.
        let otherwise = #" Otherwise answer in words: {"response": "<your answer>"}, as "Hi!" gets {"response": "Hello!"}."#
        return """
            You can call these functions:
            [\(list.joined(separator: ",\n"))]

            Reply with one JSON object. \(mustCall ? "Call a function" : "If the user asks for what a function does, call it"): \
            \(call).\(mustCall ? "" : otherwise)
            """
    }

    /// The JSON Schema every answer follows (JSON text). Keys are in the order the answer
    /// writes them: the name before the arguments, the arguments in their schema's order.
    var schema: String {
        let calls = offered.map(Self.item)
        let items = calls.count == 1 ? calls[0] : #"{"anyOf": ["# + calls.joined(separator: ", ") + "]}"
        let call =
            #"{"type": "object", "properties": {"tool_calls": {"type": "array", "items": "# + items
            + #", "minItems": 1, "maxItems": \#(use.parallel ? Self.mostCalls : 1)}}, "required": ["tool_calls"], "additionalProperties": false}"#
        guard !mustCall else { return call }
        let response =
            #"{"type": "object", "properties": {"response": {"type": "string"}}, "required": ["response"], "additionalProperties": false}"#
        return #"{"anyOf": ["# + response + ", " + call + "]}"
    }

    /// The schema of one call of `tool`.
    private static func item(_ tool: Tool) -> String {
        var arguments = tool.parameters
        if object(arguments)["type"] == nil, let brace = arguments.firstIndex(of: "{") {
            // Arguments are an object, even when the schema does not say so.
            let rest = arguments[arguments.index(after: brace)...]
            let empty = rest.drop { $0.isWhitespace }.first == "}"
            arguments = #"{"type": "object""# + (empty ? "" : ", ") + rest
        }
        return #"{"type": "object", "properties": {"name": {"const": "# + quoted(tool.name) + #"}, "arguments": "#
            + arguments + #"}, "required": ["name", "arguments"], "additionalProperties": false}"#
    }

    /// Most calls in one answer: small models repeat a call until the token limit otherwise.
    static let mostCalls = 4

    /// The grammar for `schema`: llama.cpp's, with whitespace between tokens cut to at most
    /// one space (its own allows newlines and indents, which small models spend tokens on).
    func grammar() throws -> String {
        let grammar = try LlamaSchemaGrammar.grammar(for: schema, field: "tools")
        return grammar.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasPrefix("space ::=") ? #"space ::= " "?"# : String($0)
        }.joined(separator: "\n")
    }

    private static func object(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    static func quoted(_ text: String) -> String {
        (try? JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed, .withoutEscapingSlashes]))
            .map { String(decoding: $0, as: UTF8.self) } ?? #""""#
    }

    /// `value` as compact JSON text (keys sorted); nil when it is not JSON.
    static func text(of value: Any) -> String? {
        guard JSONSerialization.isValidJSONObject(value),
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
