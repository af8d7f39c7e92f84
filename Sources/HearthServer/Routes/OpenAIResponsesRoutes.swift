import Foundation
import HearthCore
import HearthServices
import HearthWire
import Hummingbird
import Synchronization

/// `/v1/responses`: OpenAI's Responses API over the chat service, whole or streamed as its
/// semantic events, kept (`store`, the default) for `GET`, `DELETE` and `previous_response_id`.
/// A request with `mcp` tools runs the agent loop: Hearth's skills (or a configured MCP
/// server's tools) run on the server as `mcp_call` items until the model answers.
struct OpenAIResponsesRoutes: Sendable {
    let chat: ChatService
    let responses: ResponseService
    let skills: SkillService
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
        let servers = try wire.mcpServers
        let shape = ResponseShape(
            id: "resp_" + randomID(), createdAt: Date(), model: native.model, request: wire, labels: servers.map(\.label))
        let keeping =
            (wire.store ?? true)
            ? ResponseService.Keeping(
                id: shape.id, createdAt: shape.createdAt, startsWithInstructions: !(wire.instructions ?? "").isEmpty, render: shape.stored)
            : nil
        guard servers.isEmpty else { return try await run(wire, native, servers: servers, shape: shape, keeping: keeping, context) }
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

    /// A response whose MCP tools run here: the agent loop, with the client's functions beside them.
    private func run(
        _ wire: OpenAI.ResponseRequest, _ native: GenerationRequest, servers: [OpenAI.MCPServerTools], shape: ResponseShape,
        keeping: ResponseService.Keeping?, _ context: HearthRequestContext
    ) async throws -> Response {
        guard case .chat(let messages) = native.prompt else { throw HearthError.invalidRequest("'input' must be messages", field: "input") }
        let functions = native.tools?.tools ?? []
        var params = native.params
        params.grammar = nil
        let run = AgentService.Request(
            model: native.model, messages: messages, skills: try skillNames(servers, by: context.principal), functions: functions,
            firstChoice: wire.toolChoice?.choice ?? .auto,
            tokenBudget: wire.maxOutputTokens ?? AgentService.defaultTokenBudget, params: params)
        let events = try await responses.run(run, keeping: keeping, by: context.principal)
        guard wire.stream == true else {
            let answer = try await ClientWatcher.cancellingOnDisconnect(context.channel) {
                var transcript = AgentTranscript(messages: messages)
                for try await event in events {
                    if let answer = transcript.read(event) { return answer }
                }
                throw HearthError(.internalError, "the agent run ended without finishing")
            }
            return try json(shape.response(answer))
        }
        let writer = ResponseStreamWriter(shape, functions: Set(functions.map(\.name)), messages: messages)
        return try await StartedStream(events).sse(logger: context.logger) { try writer.blocks(for: $0).joined() }
    }

    /// The skills `servers` name that the caller may run: all of Hearth's for `hearth`, the
    /// `label.tool` skills of a configured MCP server otherwise; `allowed` narrows either.
    /// - Throws: `HearthError.invalidRequest` for a server with no such tools.
    private func skillNames(_ servers: [OpenAI.MCPServerTools], by principal: Principal) throws -> [String] {
        let all = skills.list(by: principal).skills.map(\.name)
        var names: [String] = []
        for server in servers {
            let own = server.label == "hearth" ? all : all.filter { $0.hasPrefix(server.label + ".") }
            let offered = own.filter { name in
                server.allowed.map { $0.contains(server.label == "hearth" ? name : String(name.dropFirst(server.label.count + 1))) } ?? true
            }
            guard !offered.isEmpty else {
                throw HearthError.invalidRequest(
                    "no MCP server '\(server.label.prefix(64))' offers tools you may run here (use 'hearth' for Hearth's skills, or a server of the configuration)",
                    field: "tools")
            }
            names += offered.filter { !names.contains($0) }
        }
        return names
    }
}

/// What every form of one response shares: its id, time, model and request, and the ids of
/// its output items (the same whether it is streamed, returned whole or read back).
struct ResponseShape: Sendable {
    let id: String
    let createdAt: Date
    let model: String
    let request: OpenAI.ResponseRequest
    /// The MCP servers the request named: a skill `label.tool` shows as `tool` of `label`.
    var labels: [String] = []

    /// The `index`th message item's id.
    func messageID(_ index: Int = 0) -> String { "msg_" + id.dropFirst(5) + (index == 0 ? "" : "_\(index)") }
    func callID(_ index: Int) -> String { "fc_" + id.dropFirst(5) + "_\(index)" }
    func skillCallID(_ index: Int) -> String { "mcp_" + id.dropFirst(5) + "_\(index)" }

    /// The server label and tool name a skill shows as.
    func server(of call: ToolCall) -> (label: String, call: ToolCall) {
        for label in labels where label != "hearth" && call.name.hasPrefix(label + ".") {
            return (label, ToolCall(id: call.id, name: String(call.name.dropFirst(label.count + 1)), arguments: call.arguments))
        }
        return ("hearth", call)
    }

    /// The response, in progress, with `output`.
    func started(_ output: [OpenAI.OutputItem] = []) -> OpenAI.Response {
        OpenAI.Response(
            id: id, createdAt: Int(createdAt.timeIntervalSince1970), model: model, request: request, output: output)
    }

    /// An `mcp_call` item for a skill that ran (or, without output, is running).
    func skillItem(_ index: Int, _ call: ToolCall, output: SkillOutput?) -> OpenAI.OutputItem {
        let (label, shown) = server(of: call)
        let status = output == nil ? "in_progress" : output!.isError ? "failed" : "completed"
        return .mcpCall(id: skillCallID(index), serverLabel: label, call: shown, output: output, status: status)
    }

    /// The finished response: its items in order (words as messages, calls, skills that ran);
    /// an answer with no words and no call of the client's still has a message.
    func response(_ answer: ResponseService.Answer) -> OpenAI.Response {
        var output: [OpenAI.OutputItem] = []
        var counts = (messages: 0, calls: 0, skills: 0)
        let status = answer.reason == .length ? "incomplete" : "completed"
        for item in answer.items {
            switch item {
            case .text(let text):
                output.append(.message(id: messageID(counts.messages), text: text, status: status))
                counts.messages += 1
            case .call(let call):
                output.append(.functionCall(id: callID(counts.calls), call: call, status: "completed"))
                counts.calls += 1
            case .skill(let skill):
                output.append(skillItem(counts.skills, skill.call, output: skill.output))
                counts.skills += 1
            }
        }
        if counts.messages == 0 && counts.calls == 0 {
            output.append(.message(id: messageID(), text: "", status: status))
        }
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
