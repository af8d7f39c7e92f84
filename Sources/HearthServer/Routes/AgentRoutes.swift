import Foundation
import HearthCore
import HearthModels
import HearthServices
import HearthWire
import Hummingbird

/// `POST /hearth/agents/run`: a model calling skills until it has an answer, streamed step by
/// step (SSE) or answered whole.
struct AgentRoutes: Sendable {
    let agents: AgentService
    let conversations: ConversationService
    let maxBodyBytes: Int

    func add(to router: Router<HearthRequestContext>) {
        router.post("/hearth/agents/run") { request, context in
            let wire = try await request.decode(AgentsWire.RunRequest.self, upTo: maxBodyBytes)
            let run = AgentService.Request(
                model: wire.model, messages: try wire.startingMessages(), skills: wire.skills,
                firstChoice: wire.toolChoice?.choice ?? .auto,
                maxSteps: wire.maxSteps ?? AgentService.defaultMaxSteps, tokenBudget: wire.maxTokens ?? AgentService.defaultTokenBudget,
                params: try wire.params, keepAlive: wire.keepAlive)
            let conversation = try await wire.conversation.asyncMap { try await conversations.resolve($0, by: context.principal) }
            let model = ModelStore.canonicalName(wire.model ?? agents.defaultModel)
            let events = try await agents.run(run, conversation: conversation, by: context.principal)
            guard wire.stream == true else {
                let result = try await ClientWatcher.cancellingOnDisconnect(context.channel) {
                    try await Self.collect(events, model: model)
                }
                return try json(result).naming(conversation)
            }
            return try await StartedStream(events).sse(logger: context.logger) { try ServerSentEvents.event(Self.step($0)) }
                .naming(conversation)
        }
    }

    static func collect(_ events: AsyncThrowingStream<AgentService.Event, any Error>, model: String) async throws
        -> AgentsWire.RunResult
    {
        var steps: [AgentsWire.Step] = []
        for try await event in events {
            switch event {
            case .text: continue
            case .done(let finish, let text, let usage):
                return AgentsWire.RunResult(
                    model: model, output: text, finishReason: finish.rawValue, steps: steps, usage: OpenAI.Usage(usage))
            default: steps.append(step(event))
            }
        }
        throw HearthError(.internalError, "the agent run ended without finishing")
    }

    static func step(_ event: AgentService.Event) -> AgentsWire.Step {
        switch event {
        case .step(let number): AgentsWire.Step(type: "step", step: number)
        case .text(let piece): AgentsWire.Step(type: "text", delta: piece)
        case .toolCall(let call): AgentsWire.Step(type: "tool_call", id: call.id, name: call.name, arguments: call.arguments)
        case .toolResult(let call, let output):
            AgentsWire.Step(type: "tool_result", id: call.id, name: call.name, output: output.text, isError: output.isError)
        case .done(let finish, let text, let usage):
            AgentsWire.Step(type: "done", output: text, finishReason: finish.rawValue, usage: OpenAI.Usage(usage))
        }
    }
}
