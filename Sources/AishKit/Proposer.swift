import AsyncHTTPClient
import Foundation
import NIOCore

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

    public init(settings: Settings) {
        self.settings = settings
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

    static var schema: [String: Any] {
        [
            "type": "object",
            "properties": [
                "command": ["type": "string", "minLength": 1, "maxLength": 200],
                "explanation": ["type": "string", "maxLength": 160],
            ],
            "required": ["command", "explanation"],
        ]
    }

    /// A command for `request` in `context`; `history` holds earlier requests and the
    /// commands proposed for them, so that follow-ups ("now only .log files") work.
    public func propose(_ request: String, context: ShellContext, history: [(request: String, command: String)] = []) async throws
        -> Proposal
    {
        var messages: [[String: String]] = [["role": "system", "content": Self.instructions + "\n\n" + context.description]]
        for (example, command, explanation) in Self.examples {
            messages.append(["role": "user", "content": example])
            messages.append([
                "role": "assistant", "content": #"{"command": \#(Self.json(command)), "explanation": \#(Self.json(explanation))}"#,
            ])
        }
        for turn in history.suffix(4) {
            messages.append(["role": "user", "content": turn.request])
            messages.append(["role": "assistant", "content": #"{"command": \#(Self.json(turn.command)), "explanation": ""}"#])
        }
        messages.append(["role": "user", "content": request])
        let body: [String: Any] = [
            "model": settings.model, "messages": messages, "temperature": 0, "max_tokens": 320,
            "response_format": ["type": "json_schema", "json_schema": ["name": "proposal", "strict": true, "schema": Self.schema]],
        ]
        let content = try await complete(body)
        guard let proposal = Self.parse(content) else {
            throw Failure(description: "the model's answer is not a command proposal: \(content.prefix(200))")
        }
        return proposal
    }

    /// A plain-text explanation of `command`, part by part.
    /// Streams it: `onText` gets each piece as the server sends it.
    public func explain(_ command: String, onText: (String) -> Void) async throws {
        let body: [String: Any] = [
            "model": settings.model, "temperature": 0, "max_tokens": 400, "stream": true,
            "messages": [
                [
                    "role": "system",
                    "content": "Explain shell commands to a user: each program, its flags, pipes and redirections, in short lines.",
                ],
                ["role": "user", "content": "Explain: \(command)"],
            ],
        ]
        let response = try await send(body)
        guard response.status.code == 200 else { throw try await refusal(response) }
        // Bytes until a whole line is in: a character may be split across two buffers.
        var pending = Data()
        for try await buffer in response.body {
            buffer.withUnsafeReadableBytes { pending.append(contentsOf: $0) }
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                pending.removeSubrange(...newline)
                guard line.hasPrefix("data:"), let data = line.dropFirst(5).trimmingCharacters(in: .whitespaces).data(using: .utf8),
                    let event = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                    let choice = (event["choices"] as? [[String: Any]])?.first,
                    let text = (choice["delta"] as? [String: Any])?["content"] as? String
                else { continue }
                onText(text)
            }
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

    private static func json(_ text: String) -> String {
        (try? JSONEncoder().encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }

    // AsyncHTTPClient rather than URLSession: on Linux, URLSession's async calls keep a core
    // busy while they wait, which slows down a local server answering on the same machine.
    private func send(_ body: [String: Any]) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: settings.endpoint.appending(path: "v1/chat/completions").absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let key = settings.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        do {
            return try await HTTPClient.shared.execute(request, timeout: .seconds(180))
        } catch {
            throw Failure(
                description:
                    "no server answers at \(settings.endpoint.absoluteString): start one with `hearth serve`, or point AISH_HOST at an OpenAI-compatible server"
            )
        }
    }

    private func refusal(_ response: HTTPClientResponse) async throws -> Failure {
        let data = try await response.body.collect(upTo: 1 << 20).withUnsafeReadableBytes { Data($0) }
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        let message =
            ((object?["error"] as? [String: Any])?["message"] as? String) ?? (object?["error"] as? String)
            ?? String(decoding: data.prefix(300), as: UTF8.self)
        return Failure(description: "the server at \(settings.endpoint.absoluteString) refused the request: \(message)")
    }

    private func complete(_ body: [String: Any]) async throws -> String {
        let response = try await send(body)
        guard response.status.code == 200 else { throw try await refusal(response) }
        let data = try await response.body.collect(upTo: 4 << 20).withUnsafeReadableBytes { Data($0) }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let choices = object["choices"] as? [[String: Any]], let message = choices.first?["message"] as? [String: Any],
            let content = message["content"] as? String
        else { throw Failure(description: "the server's answer is not a chat completion") }
        return content
    }
}
