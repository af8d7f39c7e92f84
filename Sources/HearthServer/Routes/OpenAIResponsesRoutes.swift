import Foundation
import HearthCore
import HearthServices
import HearthWire
import Hummingbird
import Synchronization

/// `/v1/responses`: OpenAI's Responses API over the chat service, whole or streamed as its
/// semantic events, kept (`store`, the default) for `GET`, `DELETE` and `previous_response_id`.
struct OpenAIResponsesRoutes: Sendable {
    let chat: ChatService
    let responses: ResponseService
    let metrics: Metrics
    let maxBodyBytes: Int

    func add(to router: Router<HearthRequestContext>) {
        router.post("/v1/responses") { request, context in try await create(request, context) }
        router.get("/v1/responses/{id}") { _, context in
            let stored = try await responses.get(try context.parameters.segment("id"), by: context.principal)
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: stored.body)))
        }
        router.delete("/v1/responses/{id}") { _, context in
            let id = try context.parameters.segment("id")
            try await responses.delete(id, by: context.principal)
            return try json(OpenAI.ResponseDeleted(id: id))
        }
        router.get("/v1/responses/{id}/input_items") { _, context in
            let stored = try await responses.get(try context.parameters.segment("id"), by: context.principal)
            let items = (try? JSONDecoder().decode([JSONValue].self, from: Data(stored.inputItems.utf8))) ?? []
            return try json(OpenAI.ResponseInputItems(data: items))
        }
    }

    private func create(_ request: Request, _ context: HearthRequestContext) async throws -> Response {
        let wire = try await request.decode(OpenAI.ResponseRequest.self, upTo: maxBodyBytes)
        let history = try await wire.previousResponseID.asyncMap { try await responses.history($0, by: context.principal) } ?? []
        let native = try wire.native(history: history, defaultModel: chat.defaultModel)
        let shape = ResponseShape(id: "resp_" + randomID(), createdAt: Date(), model: native.model, request: wire)
        let keeping =
            (wire.store ?? true)
            ? ResponseService.Keeping(
                id: shape.id, createdAt: shape.createdAt, startsWithInstructions: !(wire.instructions ?? "").isEmpty, render: shape.stored)
            : nil
        let generation = try await Generation.start(model: native.model, metrics: metrics) {
            try await responses.generate(native, keeping: keeping, by: context.principal)
        }
        guard wire.stream == true else {
            let answer = try await generation.collect(for: context)
            return try json(
                shape.response(
                    ResponseService.Answer(text: answer.text, toolCalls: answer.toolCalls, reason: answer.reason, usage: answer.usage)))
        }
        let writer = ResponseStreamWriter(shape)
        return generation.sse { event in try writer.blocks(for: event) }
    }
}

/// What every form of one response shares: its id, time, model and request, and the ids of
/// its output items (the same whether it is streamed, returned whole or read back).
struct ResponseShape: Sendable {
    let id: String
    let createdAt: Date
    let model: String
    let request: OpenAI.ResponseRequest

    var messageID: String { "msg_" + id.dropFirst(5) }
    func callID(_ index: Int) -> String { "fc_" + id.dropFirst(5) + "_\(index)" }

    /// The response, in progress, with `output`.
    func started(_ output: [OpenAI.OutputItem] = []) -> OpenAI.Response {
        OpenAI.Response(
            id: id, createdAt: Int(createdAt.timeIntervalSince1970), model: model, request: request, output: output)
    }

    /// The finished response: the text as a message (when there is text or no call), then the calls.
    func response(_ answer: ResponseService.Answer) -> OpenAI.Response {
        var output: [OpenAI.OutputItem] = []
        if !answer.text.isEmpty || answer.toolCalls.isEmpty {
            output.append(.message(id: messageID, text: answer.text, status: answer.reason == .length ? "incomplete" : "completed"))
        }
        output += answer.toolCalls.enumerated().map { .functionCall(id: callID($0), call: $1, status: "completed") }
        var response = started(output)
        response.finish(answer.reason, usage: answer.usage)
        return response
    }

    /// The body and input items kept for `GET`.
    func stored(_ answer: ResponseService.Answer) throws -> (body: String, inputItems: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let body = String(decoding: try encoder.encode(response(answer)), as: UTF8.self)
        var items: [JSONValue] = []
        if case .items(let given) = request.input {
            for (index, item) in given.enumerated() {
                guard case .object(var fields) = try JSONDecoder().decode(JSONValue.self, from: try encoder.encode(item)) else { continue }
                fields["id"] = .string("item_" + id.dropFirst(5) + "_\(index)")
                items.append(.object(fields))
            }
        } else if case .text(let text) = request.input {
            let item = OpenAI.ResponseInputItem.message(role: "user", content: text)
            if case .object(var fields) = try JSONDecoder().decode(JSONValue.self, from: try encoder.encode(item)) {
                fields["id"] = .string("item_" + id.dropFirst(5) + "_0")
                items.append(.object(fields))
            }
        }
        return (body, String(decoding: try encoder.encode(items), as: UTF8.self))
    }
}

/// Turns a generation's events into the Responses API's: the response created, a message
/// item with one `output_text` part growing by deltas, each call as a function-call item,
/// then `response.completed` (or `response.incomplete`) with the whole response.
final class ResponseStreamWriter: Sendable {
    private struct State {
        var sequence = 0
        var text = ""
        var messageOpen = false
        var items: [OpenAI.OutputItem] = []
        var calls: [ToolCall] = []
    }

    private let shape: ResponseShape
    private let state = Mutex(State())

    init(_ shape: ResponseShape) { self.shape = shape }

    func blocks(for event: Generation.Event) throws -> [String] {
        try state.withLock { state in
            var blocks: [String] = []
            func emit(_ event: OpenAI.ResponseEvent) throws {
                blocks.append(try event.block)
                state.sequence += 1
            }
            func closeMessage() throws {
                guard state.messageOpen else { return }
                state.messageOpen = false
                let index = state.items.count
                let item = OpenAI.OutputItem.message(id: shape.messageID, text: state.text, status: "completed")
                try emit(
                    .init(
                        "response.output_text.done", state.sequence, outputIndex: index, itemID: shape.messageID, contentIndex: 0,
                        text: state.text))
                try emit(
                    .init(
                        "response.content_part.done", state.sequence, outputIndex: index, itemID: shape.messageID, contentIndex: 0,
                        part: OpenAI.ResponseEvent.textPart(state.text)))
                try emit(.init("response.output_item.done", state.sequence, outputIndex: index, item: item))
                state.items.append(item)
            }
            switch event {
            case .start:
                try emit(.init("response.created", state.sequence, response: shape.started()))
                try emit(.init("response.in_progress", state.sequence, response: shape.started()))
            case .text(let piece):
                if !state.messageOpen {
                    state.messageOpen = true
                    let index = state.items.count
                    try emit(
                        .init(
                            "response.output_item.added", state.sequence, outputIndex: index,
                            item: .message(id: shape.messageID, text: "", status: "in_progress")))
                    try emit(
                        .init(
                            "response.content_part.added", state.sequence, outputIndex: index, itemID: shape.messageID, contentIndex: 0,
                            part: OpenAI.ResponseEvent.textPart("")))
                }
                state.text += piece
                try emit(
                    .init(
                        "response.output_text.delta", state.sequence, outputIndex: state.items.count, itemID: shape.messageID,
                        contentIndex: 0, delta: piece))
            case .toolCall(let number, let call):
                try closeMessage()
                let index = state.items.count
                let id = shape.callID(number)
                try emit(
                    .init(
                        "response.output_item.added", state.sequence, outputIndex: index,
                        item: .functionCall(id: id, call: ToolCall(id: call.id, name: call.name, arguments: ""), status: "in_progress")))
                try emit(
                    .init("response.function_call_arguments.delta", state.sequence, outputIndex: index, itemID: id, delta: call.arguments))
                try emit(
                    .init(
                        "response.function_call_arguments.done", state.sequence, outputIndex: index, itemID: id, arguments: call.arguments))
                let item = OpenAI.OutputItem.functionCall(id: id, call: call, status: "completed")
                try emit(.init("response.output_item.done", state.sequence, outputIndex: index, item: item))
                state.items.append(item)
                state.calls.append(call)
            case .done(let reason, let usage):
                try closeMessage()
                let response = shape.response(
                    ResponseService.Answer(text: state.text, toolCalls: state.calls, reason: reason, usage: usage))
                try emit(.init(reason == .length ? "response.incomplete" : "response.completed", state.sequence, response: response))
            }
            return blocks
        }
    }
}
