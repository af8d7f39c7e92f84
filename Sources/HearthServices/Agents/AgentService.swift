import Foundation
import HearthCore

/// The agent loop: the model answers with the caller's skills offered as tools; its calls run
/// (with the caller's rights) and their results go back to it, step after step, until it
/// answers in words, a step limit or the token budget. Each step is reported as it happens;
/// a client that goes away cancels the model and any skill running. Named conversations
/// keep every step: the calls, their results, the answer.
public struct AgentService: Sendable {
    let chat: ChatService
    let skills: SkillService
    let conversations: ConversationService

    /// Used when a request names no model.
    public var defaultModel: String { chat.defaultModel }

    public static let defaultMaxSteps = 8
    public static let maxSteps = 32
    /// Completion tokens of all steps together, when a request sets no budget.
    public static let defaultTokenBudget = 4_096
    /// A skill's output goes back to the model cut to this many characters (a file can be large).
    static let resultCharacters = 8_000

    /// What an agent is asked to do.
    public struct Request: Sendable {
        /// Nil: the server's default model.
        public var model: String?
        public var messages: [ChatMessage]
        /// The skills offered; nil offers all the caller may run.
        public var skills: [String]?
        /// The client's own functions, offered beside the skills: a step that calls one ends
        /// the run (`Finish.toolCalls`) for the client to answer the call.
        public var functions: [Tool]
        /// Whether the first step must call a skill (`required`), a given one, or may answer
        /// at once (`auto`); later steps are always `auto`.
        public var firstChoice: ToolChoice
        public var maxSteps: Int
        /// Completion tokens of all steps together.
        public var tokenBudget: Int
        /// Sampling for every step (`maxTokens` caps each step, within the budget).
        public var params: GenerationParams
        public var keepAlive: Double?

        public init(
            model: String? = nil, messages: [ChatMessage], skills: [String]? = nil, functions: [Tool] = [], firstChoice: ToolChoice = .auto,
            maxSteps: Int = AgentService.defaultMaxSteps,
            tokenBudget: Int = AgentService.defaultTokenBudget, params: GenerationParams = GenerationParams(), keepAlive: Double? = nil
        ) {
            self.model = model
            self.messages = messages
            self.skills = skills
            self.functions = functions
            self.firstChoice = firstChoice
            self.maxSteps = maxSteps
            self.tokenBudget = tokenBudget
            self.params = params
            self.keepAlive = keepAlive
        }
    }

    /// Why a run ended.
    public enum Finish: String, Sendable, Equatable {
        /// The model answered in words.
        case stop
        /// A step's answer reached `max_tokens` or the context.
        case length
        /// The model still called skills at the last step.
        case maxSteps = "max_steps"
        /// The token budget was spent.
        case budget
        /// The model called one of the client's functions (after any skills of that step ran).
        case toolCalls = "tool_calls"
    }

    /// What a run reports, in order.
    public enum Event: Sendable, Equatable {
        /// Step `n` (1-based) starts: the model is asked.
        case step(Int)
        case text(String)
        /// The model called a skill.
        case toolCall(ToolCall)
        /// The skill's result, as the model reads it next.
        case toolResult(ToolCall, SkillOutput)
        /// The end: why, the final answer's text, and the tokens of all steps.
        case done(Finish, String, Usage)
    }

    /// Starts a run. With `conversation` (from `ConversationService.resolve`), the run's
    /// messages, calls, results and answer are kept in it once it ends.
    /// - Throws: `HearthError.invalidRequest` for limits out of range, no messages, or a skill
    ///   the caller may not run; the first step's errors (unknown model, prompt too long).
    public func run(_ request: Request, conversation: Conversation? = nil, by principal: Principal) async throws
        -> AsyncThrowingStream<Event, any Error>
    {
        guard (1...Self.maxSteps).contains(request.maxSteps) else {
            throw HearthError.invalidRequest("max_steps must be 1 to \(Self.maxSteps)", field: "max_steps")
        }
        guard request.tokenBudget >= 1 else { throw HearthError.invalidRequest("max_tokens must be at least 1", field: "max_tokens") }
        guard !request.messages.isEmpty else { throw HearthError.invalidRequest("give the agent a task", field: "messages") }
        try request.params.validate()
        var request = request
        // Images are read once, not at every step.
        if case .chat(let messages) = try await chat.readingImages(.chat(request.messages), by: principal) { request.messages = messages }
        let tools = try offered(request.skills, by: principal) + request.functions
        let names = tools.map(\.name)
        if let clash = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw HearthError.invalidRequest(
                "the function '\(clash.prefix(64))' has the name of a skill offered to this run", field: "tools")
        }
        request.model = request.model ?? chat.defaultModel
        // The first step starts here, so that its errors are the request's.
        let first = try await step(request, messages: request.messages, tools: tools, choice: request.firstChoice, spent: 0, by: principal)
        let (stream, continuation) = AsyncThrowingStream<Event, any Error>.makeStream()
        let task = Task {
            var messages = request.messages
            // Kept before the end is reported, so that a client reading the end finds it kept;
            // a run that fails keeps the steps it made.
            func keep() async {
                guard let conversation, messages.count > request.messages.count, let reply = messages.last else { return }
                try? await conversations.record(Array(messages.dropLast()), reply: reply, model: request.model!, in: conversation)
            }
            do {
                let end = try await loop(request, first: first, tools: tools, messages: &messages, by: principal) {
                    continuation.yield($0)
                }
                await keep()
                continuation.yield(end)
                continuation.finish()
            } catch {
                await keep()
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Runs the steps, reporting each; returns the final event (`done`).
    private func loop(
        _ request: Request, first: AsyncThrowingStream<TokenEvent, any Error>, tools: [Tool], messages: inout [ChatMessage],
        by principal: Principal, report: (Event) -> Void
    ) async throws -> Event {
        var usage = Usage(promptTokens: 0, completionTokens: 0)
        var events = first
        for step in 1...request.maxSteps {
            report(.step(step))
            var text = ""
            var calls: [ToolCall] = []
            var reason = FinishReason.stop
            for try await event in events {
                switch event {
                case .text(let piece):
                    text += piece
                    report(.text(piece))
                case .toolCall(let call):
                    calls.append(call)
                    report(.toolCall(call))
                case .done(let finish, let used):
                    reason = finish
                    usage.promptTokens += used.promptTokens
                    usage.completionTokens += used.completionTokens
                }
            }
            messages.append(ChatMessage(role: .assistant, content: text, toolCalls: calls.isEmpty ? nil : calls))
            let spent = usage.completionTokens
            guard !calls.isEmpty else {
                let finish: Finish = reason != .length ? .stop : spent >= request.tokenBudget ? .budget : .length
                return .done(finish, text, usage)
            }
            let functions = calls.filter { call in request.functions.contains { $0.name == call.name } }
            for call in calls where !functions.contains(call) {
                try Task.checkCancellation()
                let output: SkillOutput
                if !tools.contains(where: { $0.name == call.name }) {
                    // Only what the run offers runs, whatever text the model read asked for.
                    output = .failure("the skill '\(call.name.prefix(64))' is not offered to this run")
                } else {
                    do {
                        output = try await skills.run(call.name, input: call.arguments, by: principal)
                    } catch let error as HearthError {
                        output = .failure(error.message)
                    }
                }
                report(.toolResult(call, output))
                messages.append(ChatMessage(role: .tool, content: Self.result(output), toolCallID: call.id, name: call.name))
            }
            guard functions.isEmpty else { return .done(.toolCalls, text, usage) }
            guard step < request.maxSteps else { return .done(.maxSteps, "", usage) }
            guard spent < request.tokenBudget else { return .done(.budget, "", usage) }
            events = try await self.step(request, messages: messages, tools: tools, choice: .auto, spent: spent, by: principal)
        }
        return .done(.maxSteps, "", usage)
    }

    /// One question to the model: the conversation so far, the skills as tools (`choice`
    /// for this step), what is left of the budget as the step's `max_tokens`.
    private func step(
        _ request: Request, messages: [ChatMessage], tools: [Tool], choice: ToolChoice, spent: Int, by principal: Principal
    ) async throws -> AsyncThrowingStream<TokenEvent, any Error> {
        var params = request.params
        let left = request.tokenBudget - spent
        params.maxTokens = min(params.maxTokens ?? left, left)
        var generation = GenerationRequest(model: request.model!, prompt: .chat(messages), params: params)
        generation.keepAlive = request.keepAlive
        generation.tools = tools.isEmpty ? nil : ToolUse(tools: tools, choice: choice)
        try generation.tools?.validate()
        return try await chat.generate(generation, by: principal)
    }

    /// The tools a run offers: the skills named (each one the caller may run), or all.
    private func offered(_ names: [String]?, by principal: Principal) throws -> [Tool] {
        guard let names else { return skills.list(by: principal).skills.map(\.tool) }
        return try names.map { name in
            do {
                return try skills.info(name, by: principal).tool
            } catch {
                throw HearthError.invalidRequest("no skill named '\(name.prefix(64))'", field: "skills")
            }
        }
    }

    /// A skill's output as the model reads it: errors marked, long output cut.
    static func result(_ output: SkillOutput) -> String {
        var text = output.text
        if text.count > resultCharacters {
            text = String(text.prefix(resultCharacters)) + "\n[… \(text.count - resultCharacters) more characters cut]"
        }
        return output.isError ? "Error: " + text : text
    }
}
