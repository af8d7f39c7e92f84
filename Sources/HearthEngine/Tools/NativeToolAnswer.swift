import Foundation
import HearthCore

/// Reads an answer in a model's own call format (see `JinjaRender`) as it streams: its text
/// is passed on as the parser settles it, and each call once the next one has begun (the
/// last when the answer ends). An answer that does not parse, or whose only call has
/// arguments that are not a JSON object, comes back as text: never an error.
struct NativeToolAnswer: ToolAnswerReader {
    private let render: JinjaRender
    private var output = ""
    /// The text passed on so far, and how many calls.
    private var sent = ""
    private var callsSent = 0
    /// The output's length at the last parse.
    private var parsedLength = 0

    init(render: JinjaRender) {
        self.render = render
    }

    /// The answer's new text and finished calls, given the model's next piece of output.
    mutating func feed(_ piece: String) -> (text: String, calls: [ToolCall]) {
        output += piece
        // Each parse reads the whole output: it is read again once it has grown by a sixteenth,
        // 64 bytes at most, so that a long answer is not parsed once a token.
        let length = output.utf8.count
        guard length - parsedLength >= min(64, length / 16) else { return ("", []) }
        parsedLength = length
        guard let parsed = render.parse(output, partial: true) else { return ("", []) }
        var text = ""
        if parsed.content.hasPrefix(sent), parsed.content.count > sent.count {
            text = String(parsed.content.dropFirst(sent.count))
            sent = parsed.content
        }
        // A call is finished once a later one has begun.
        let finished = parsed.calls.dropLast().dropFirst(callsSent)
        let calls = finished.compactMap(Self.call)
        guard calls.count == finished.count else { return (text, []) }
        callsSent += calls.count
        return (text, calls)
    }

    /// The text not passed on yet and the calls not sent yet, once the output has ended. An
    /// output cut short (by `max_tokens`) keeps its whole calls and loses the cut one; one
    /// with no whole call at all comes back as it stands.
    func finish() -> (text: String, calls: [ToolCall]) {
        guard let parsed = render.parse(output, partial: false) ?? render.parse(output, partial: true) else { return (unsent(output), []) }
        let calls = parsed.calls.dropFirst(callsSent).compactMap(Self.call)
        if calls.count < parsed.calls.count - callsSent, calls.isEmpty, callsSent == 0 { return (unsent(output), []) }
        return (unsent(parsed.content), calls)
    }

    /// What of `text` was not passed on yet.
    private func unsent(_ text: String) -> String {
        text.hasPrefix(sent) ? String(text.dropFirst(sent.count)) : text
    }

    /// A call whose arguments are a JSON object (written compactly, keys sorted), else nil.
    private static func call(_ parsed: (name: String, arguments: String)) -> ToolCall? {
        guard !parsed.name.isEmpty else { return nil }
        let arguments = parsed.arguments.isEmpty ? "{}" : parsed.arguments
        guard let object = try? JSONSerialization.jsonObject(with: Data(arguments.utf8)), object is [String: Any],
            let text = JSONToolFormat.text(of: object)
        else { return nil }
        return ToolCall(name: parsed.name, arguments: text)
    }
}
