import Foundation
import Hummingbird

/// An OpenAI-compatible server on loopback that answers from a script instead of a model:
/// proposal requests (those with a `response_format`) get the JSON of the first rule whose
/// key appears in the last user message; explanation requests get a fixed text.
struct ScriptedServer {
    let rules: [(String, String)]

    func application() -> some ApplicationProtocol {
        let router = Router()
        let rules = rules
        router.post("/v1/chat/completions") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] ?? [:]
            let messages = object["messages"] as? [[String: String]] ?? []
            let last = messages.last { $0["role"] == "user" }?["content"] ?? ""
            if object["stream"] as? Bool == true {  // an explanation, streamed in two pieces
                let events = ["It prints ", "a greeting."].map { #"data: {"choices":[{"index":0,"delta":{"content":"\#($0)"}}]}"# + "\n\n" }
                return Response(
                    status: .ok, headers: [.contentType: "text/event-stream"],
                    body: .init(byteBuffer: ByteBuffer(string: events.joined() + "data: [DONE]\n\n")))
            }
            // A follow-up sees the earlier turn: "and then" answers from the previous command.
            let earlier = messages.dropLast().contains { $0["role"] == "assistant" && $0["content"]?.contains("hello-from-aish") == true }
            let content =
                last.contains("and then") && earlier
                ? #"{"command": "cat made-by-aish.txt", "explanation": "Shows the file the previous command wrote."}"#
                : rules.first { last.contains($0.0) }?.1 ?? #"{"command": "true", "explanation": "Does nothing."}"#
            let answer: [String: Any] = [
                "id": "chatcmpl-test", "object": "chat.completion", "model": "scripted",
                "choices": [["index": 0, "message": ["role": "assistant", "content": content], "finish_reason": "stop"]],
            ]
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: answer))))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    static let standard = ScriptedServer(rules: [
        (
            "say hello",
            #"{"command": "echo hello-from-aish > made-by-aish.txt && echo done", "explanation": "Writes a greeting into a file."}"#
        ),
        ("clean up", #"{"command": "rm -rf scratch", "explanation": "Deletes the scratch folder."}"#),
    ])
}
