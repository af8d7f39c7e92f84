import Foundation
import HearthClient
import HearthCore
import HearthWire

/// A proposed command: what the model said, and what aish checked itself.
public struct Proposal: Sendable, Equatable, Codable {
    public var command: String
    public var explanation: String

    public init(command: String, explanation: String) {
        self.command = command
        self.explanation = explanation
    }
}

/// Asks an OpenAI-compatible server for proposals and explanations. Proposals are requested
/// as JSON of a fixed schema (`response_format: json_schema`), which Hearth enforces with a
/// grammar, so even a tiny model's answer parses.
public struct Proposer: Sendable {
    public let settings: Settings
    private let client: HearthClient

    public init(settings: Settings) {
        self.settings = settings
        client = HearthClient(address: settings.server, apiKey: settings.apiKey)
    }

    /// Why a request failed, in words for the terminal.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    static let instructions = """
        You turn a request into one shell command for the user's shell and system. Reply with a \
        JSON object: "command" is a single command or a short pipeline on one line, using only \
        standard tools; "explanation" says in one sentence what it does. Prefer commands that only \
        read; never use sudo unless the request needs it.
        """

    /// Worked examples shown before the request: small models follow examples better than rules.
    static let examples = [
        ("show the current date and time", "date", "Prints the current date and time."),
        ("how many lines are in main.c", "wc -l main.c", "Counts the lines of main.c."),
        ("find files named notes.txt below here", "find . -name notes.txt", "Searches this folder and its subfolders for notes.txt."),
        (
            "show the 10 largest files here", "du -ah . | sort -rh | head -n 10",
            "Lists sizes of everything here, largest first, and keeps the top 10."
        ),
    ]

    static let schema: JSONValue = .object([
        "type": .string("object"),
        "properties": .object([
            "command": .object(["type": .string("string"), "minLength": .int(1), "maxLength": .int(200)]),
            "explanation": .object(["type": .string("string"), "maxLength": .int(160)]),
        ]),
        "required": .array([.string("command"), .string("explanation")]),
    ])

    /// A command for `request` in `context`; `history` holds earlier requests and the
    /// commands proposed for them, so that follow-ups ("now only .log files") work.
    public func propose(_ request: String, context: ShellContext, history: [(request: String, command: String)] = []) async throws
        -> Proposal
    {
        var messages = [OpenAI.Message(role: "system", content: Self.instructions + "\n\n" + context.description)]
        for (example, command, explanation) in Self.examples {
            messages.append(OpenAI.Message(role: "user", content: example))
            messages.append(OpenAI.Message(role: "assistant", content: Self.json(Proposal(command: command, explanation: explanation))))
        }
        for turn in history.suffix(4) {
            messages.append(OpenAI.Message(role: "user", content: turn.request))
            messages.append(OpenAI.Message(role: "assistant", content: Self.json(Proposal(command: turn.command, explanation: ""))))
        }
        messages.append(OpenAI.Message(role: "user", content: request))
        var body = OpenAI.ChatCompletionRequest(model: settings.model, messages: messages)
        body.temperature = 0
        body.maxTokens = 320
        body.responseFormat = .init(type: "json_schema", jsonSchema: .init(name: "proposal", schema: Self.schema, strict: true))
        let content = try await asking { try await client.chat(body).choices.first?.message.content ?? "" }
        guard let proposal = Self.parse(content) else {
            throw Failure(description: "the model's answer is not a command proposal: \(content.prefix(200))")
        }
        return proposal
    }

    /// A plain-text explanation of `command`, part by part.
    /// Streams it: `onText` gets each piece as the server sends it.
    public func explain(_ command: String, onText: (String) -> Void) async throws {
        var body = OpenAI.ChatCompletionRequest(
            model: settings.model,
            messages: [
                OpenAI.Message(
                    role: "system",
                    content: "Explain shell commands to a user: each program, its flags, pipes and redirections, in short lines."),
                OpenAI.Message(role: "user", content: "Explain: \(command)"),
            ])
        body.temperature = 0
        body.maxTokens = 400
        try await asking {
            for try await text in client.streamChat(body) { onText(text) }
        }
    }

    /// Runs a request to the server; its failures become `Failure`s in words for the terminal.
    private func asking<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as HearthError where error.code == .unreachable {
            throw Failure(
                description: "no server answers at \(settings.server)\(error.detail.map { " (\($0))" } ?? ""): "
                    + "start one with `hearth serve`, or point AISH_HOST at an OpenAI-compatible server"
            )
        } catch let error as HearthError {
            throw Failure(description: "the server at \(settings.server) refused the request: \(error.message)")
        }
    }

    /// The proposal in `content`: the JSON object itself, the first one inside it, or — when
    /// the answer was cut off after a complete `"command"` — that command.
    static func parse(_ content: String) -> Proposal? {
        let decoder = JSONDecoder()
        if let proposal = try? decoder.decode(Proposal.self, from: Data(content.utf8)) { return clean(proposal) }
        if let start = content.firstIndex(of: "{"), let end = content.lastIndex(of: "}"), start < end,
            let proposal = try? decoder.decode(Proposal.self, from: Data(content[start...end].utf8))
        {
            return clean(proposal)
        }
        guard let match = content.firstMatch(of: /"command"\s*:\s*("(?:[^"\\]|\\.)*")/),
            let command = try? decoder.decode(String.self, from: Data(String(match.output.1).utf8))
        else { return nil }
        return clean(Proposal(command: command, explanation: ""))
    }

    private static func clean(_ proposal: Proposal) -> Proposal? {
        let command = proposal.command.trimmingCharacters(in: .whitespacesAndNewlines)
        return command.isEmpty
            ? nil : Proposal(command: command, explanation: proposal.explanation.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The proposal as the model is asked to write it.
    private static func json(_ proposal: Proposal) -> String {
        func string(_ text: String) -> String {
            (try? JSONEncoder().encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
        }
        return #"{"command": \#(string(proposal.command)), "explanation": \#(string(proposal.explanation))}"#
    }
}
