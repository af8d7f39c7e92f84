import HearthCore

/// An agent run read from its events: the conversation it makes (each step's text and calls,
/// each skill's result) and, at its end, the answer a response shows.
public struct AgentTranscript: Sendable {
    /// The messages so far: those the run started with, then its steps.
    public private(set) var messages: [ChatMessage]
    private var text = ""
    private var calls: [ToolCall] = []
    private var results: [ChatMessage] = []
    /// The answer's items in the order the run made them; a call is `.call` until its
    /// skill's result makes it `.skill`.
    private var items: [ResponseService.Answer.Item] = []

    public init(messages: [ChatMessage]) {
        self.messages = messages
    }

    /// Takes the run's next event; returns the whole answer when it is the end.
    public mutating func read(_ event: AgentService.Event) -> ResponseService.Answer? {
        switch event {
        case .step: closeStep()
        case .text(let piece):
            text += piece
            if case .text(let earlier)? = items.last {
                items[items.count - 1] = .text(earlier + piece)
            } else {
                items.append(.text(piece))
            }
        case .toolCall(let call):
            calls.append(call)
            items.append(.call(call))
        case .toolResult(let call, let output):
            if let index = items.lastIndex(of: .call(call)) { items[index] = .skill(.init(call: call, output: output)) }
            results.append(ChatMessage(role: .tool, content: AgentService.result(output), toolCallID: call.id, name: call.name))
        case .done(let finish, _, let usage):
            closeStep()
            // Calls left without a result are the client's, answered only when the run ended for them.
            let answered = finish == .toolCalls ? items : items.filter { if case .call = $0 { false } else { true } }
            return ResponseService.Answer(items: answered, reason: Self.reason(finish), usage: usage)
        }
        return nil
    }

    /// The finish reason a response shows for how a run ended: cut short (`length`, budget,
    /// step limit) is an incomplete response.
    static func reason(_ finish: AgentService.Finish) -> FinishReason {
        switch finish {
        case .stop: .stop
        case .toolCalls: .toolCalls
        case .length, .budget, .maxSteps: .length
        }
    }

    private mutating func closeStep() {
        if !text.isEmpty || !calls.isEmpty {
            messages.append(ChatMessage(role: .assistant, content: text, toolCalls: calls.isEmpty ? nil : calls))
        }
        messages += results
        (text, calls, results) = ("", [], [])
    }
}
