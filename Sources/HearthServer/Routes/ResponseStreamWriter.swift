import Foundation
import HearthCore
import HearthServices
import HearthWire
import Synchronization

/// Turns a generation's events, or an agent run's, into the Responses API's: the response
/// created, a message item with one `output_text` part growing by deltas, each call of the
/// client's function as a `function_call` item, each skill that runs as an `mcp_call` item
/// (added in progress, done with its output), then `response.completed` (or
/// `response.incomplete`) with the whole response, whose items match those streamed.
final class ResponseStreamWriter: Sendable {
    private struct State {
        var sequence = 0
        var blocks: [String] = []
        var text = ""
        var messageOpen = false
        var items: [OpenAI.OutputItem] = []
        var counts = (messages: 0, calls: 0, skills: 0)
        /// Skills running: their output index and item number.
        var running: [String: (index: Int, number: Int)] = [:]
        var transcript: AgentTranscript
    }

    private let shape: ResponseShape
    /// The client's function names (an agent run's other calls are skills).
    private let functions: Set<String>
    private let state: Mutex<State>

    init(_ shape: ResponseShape, functions: Set<String> = [], messages: [ChatMessage] = []) {
        self.shape = shape
        self.functions = functions
        state = Mutex(State(transcript: AgentTranscript(messages: messages)))
    }

    /// The SSE blocks for one event of a generation.
    func blocks(for event: Generation.Event) throws -> [String] {
        try state.withLock { state in
            switch event {
            case .start: try start(&state)
            case .text(let piece): try text(piece, &state)
            case .toolCall(_, let call): try functionCall(call, &state)
            case .done(let reason, let usage):
                try closeMessage(&state)
                let answer = ResponseService.Answer(items: Self.answerItems(state.items), reason: reason, usage: usage)
                try finish(answer, &state)
            }
            defer { state.blocks = [] }
            return state.blocks
        }
    }

    /// The SSE blocks for one event of an agent run.
    func blocks(for event: AgentService.Event) throws -> [String] {
        try state.withLock { state in
            let answer = state.transcript.read(event)
            switch event {
            case .step(let number): if number == 1 { try start(&state) }
            case .text(let piece): try text(piece, &state)
            case .toolCall(let call) where functions.contains(call.name): try functionCall(call, &state)
            case .toolCall(let call):
                try closeMessage(&state)
                let index = state.items.count
                let item = shape.skillItem(state.counts.skills, call, output: nil)
                state.running[call.id] = (index, state.counts.skills)
                state.counts.skills += 1
                state.items.append(item)
                try emit(.init("response.output_item.added", state.sequence, outputIndex: index, item: item), &state)
                try emit(.init("response.mcp_call.in_progress", state.sequence, outputIndex: index, itemID: Self.id(of: item)), &state)
            case .toolResult(let call, let output):
                guard let (index, number) = state.running.removeValue(forKey: call.id) else { break }
                let item = shape.skillItem(number, call, output: output)
                state.items[index] = item
                let id = Self.id(of: item)
                try emit(
                    .init("response.mcp_call_arguments.done", state.sequence, outputIndex: index, itemID: id, arguments: call.arguments),
                    &state)
                try emit(
                    .init(
                        output.isError ? "response.mcp_call.failed" : "response.mcp_call.completed", state.sequence, outputIndex: index,
                        itemID: id), &state)
                try emit(.init("response.output_item.done", state.sequence, outputIndex: index, item: item), &state)
            case .done:
                try closeMessage(&state)
                if let answer { try finish(answer, &state) }
            }
            defer { state.blocks = [] }
            return state.blocks
        }
    }

    private func emit(_ event: OpenAI.ResponseEvent, _ state: inout State) throws {
        state.blocks.append(try event.block)
        state.sequence += 1
    }

    private func start(_ state: inout State) throws {
        try emit(.init("response.created", state.sequence, response: shape.started()), &state)
        try emit(.init("response.in_progress", state.sequence, response: shape.started()), &state)
    }

    private func text(_ piece: String, _ state: inout State) throws {
        let id = shape.messageID(state.counts.messages)
        if !state.messageOpen {
            state.messageOpen = true
            let index = state.items.count
            try emit(
                .init(
                    "response.output_item.added", state.sequence, outputIndex: index,
                    item: .message(id: id, text: "", status: "in_progress")),
                &state)
            try emit(
                .init(
                    "response.content_part.added", state.sequence, outputIndex: index, itemID: id, contentIndex: 0,
                    part: OpenAI.ResponseEvent.textPart("")), &state)
        }
        state.text += piece
        try emit(
            .init("response.output_text.delta", state.sequence, outputIndex: state.items.count, itemID: id, contentIndex: 0, delta: piece),
            &state)
    }

    private func closeMessage(_ state: inout State) throws {
        guard state.messageOpen else { return }
        state.messageOpen = false
        let index = state.items.count
        let id = shape.messageID(state.counts.messages)
        let item = OpenAI.OutputItem.message(id: id, text: state.text, status: "completed")
        try emit(
            .init("response.output_text.done", state.sequence, outputIndex: index, itemID: id, contentIndex: 0, text: state.text), &state)
        try emit(
            .init(
                "response.content_part.done", state.sequence, outputIndex: index, itemID: id, contentIndex: 0,
                part: OpenAI.ResponseEvent.textPart(state.text)), &state)
        try emit(.init("response.output_item.done", state.sequence, outputIndex: index, item: item), &state)
        state.items.append(item)
        state.counts.messages += 1
        state.text = ""
    }

    private func functionCall(_ call: ToolCall, _ state: inout State) throws {
        try closeMessage(&state)
        let index = state.items.count
        let id = shape.callID(state.counts.calls)
        state.counts.calls += 1
        try emit(
            .init(
                "response.output_item.added", state.sequence, outputIndex: index,
                item: .functionCall(id: id, call: ToolCall(id: call.id, name: call.name, arguments: ""), status: "in_progress")), &state)
        try emit(
            .init("response.function_call_arguments.delta", state.sequence, outputIndex: index, itemID: id, delta: call.arguments), &state)
        try emit(
            .init("response.function_call_arguments.done", state.sequence, outputIndex: index, itemID: id, arguments: call.arguments),
            &state)
        let item = OpenAI.OutputItem.functionCall(id: id, call: call, status: "completed")
        try emit(.init("response.output_item.done", state.sequence, outputIndex: index, item: item), &state)
        state.items.append(item)
    }

    private func finish(_ answer: ResponseService.Answer, _ state: inout State) throws {
        let response = shape.response(answer)
        try emit(.init(answer.reason == .length ? "response.incomplete" : "response.completed", state.sequence, response: response), &state)
    }

    /// A generation's streamed items as the answer they make.
    private static func answerItems(_ items: [OpenAI.OutputItem]) -> [ResponseService.Answer.Item] {
        items.compactMap {
            switch $0 {
            case .message(_, let text, _): .text(text)
            case .functionCall(_, let call, _): .call(call)
            case .mcpCall: nil
            }
        }
    }

    private static func id(of item: OpenAI.OutputItem) -> String {
        switch item {
        case .message(let id, _, _), .functionCall(let id, _, _), .mcpCall(let id, _, _, _, _): id
        }
    }
}
