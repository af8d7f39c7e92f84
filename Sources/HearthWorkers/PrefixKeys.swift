import HearthCore

/// Names for the prefixes of a prompt that a gateway and a worker compute alike, without a
/// tokenizer: a chat prompt's prefixes end at message boundaries, a raw prompt's every 256
/// bytes. Each key is a 64-bit FNV-1a hash of the model, the template, the tools and the
/// prompt up to there, so the same conversation gives the same keys in every process. A
/// worker announces the keys of the prompts (and answers) its sequences hold; the gateway
/// sends a request to the worker holding its longest prefix.
public enum PrefixKeys {
    /// A key and how many bytes of prompt it covers.
    public struct Prefix: Sendable, Equatable {
        public var key: UInt64
        public var bytes: Int
    }

    /// Bytes per prefix of a raw text prompt.
    static let block = 256

    /// The keys of every prefix of `request`'s prompt, shortest first.
    public static func of(_ request: GenerationRequest) -> [Prefix] {
        var hash = FNV()
        hash.add(request.model)
        hash.add(request.template ?? "")
        for tool in request.tools?.tools ?? [] {
            hash.add(tool.name)
            hash.add(tool.parameters)
        }
        var prefixes: [Prefix] = []
        var bytes = 0
        switch request.prompt {
        case .chat(let messages):
            for message in messages {
                hash.add(message.role.rawValue)
                hash.add(message.content)
                for call in message.toolCalls ?? [] {
                    hash.add(call.name)
                    hash.add(call.arguments)
                }
                bytes += message.content.utf8.count + 8
                prefixes.append(Prefix(key: hash.value, bytes: bytes))
            }
        case .text(let text):
            let utf8 = Array(text.utf8)
            var start = 0
            while start + block <= utf8.count {
                hash.add(utf8[start..<start + block])
                start += block
                prefixes.append(Prefix(key: hash.value, bytes: start))
            }
        }
        return prefixes
    }

    /// The keys of what a sequence holds once it answered `request` with `answer` (and
    /// `calls`): the prompt's prefixes and the prompt followed by the answer, which the next
    /// turn of the conversation starts with.
    public static func after(_ request: GenerationRequest, answer: String, calls: [ToolCall]) -> [UInt64] {
        var continued = request
        switch request.prompt {
        case .chat(let messages):
            continued.prompt = .chat(messages + [ChatMessage(role: .assistant, content: answer, toolCalls: calls.isEmpty ? nil : calls)])
        case .text(let text):
            continued.prompt = .text(text + answer)
        }
        return of(continued).map(\.key)
    }

    /// How many bytes of `prefixes` (a request's, shortest first) a holder of `held` has.
    public static func matched(_ prefixes: [Prefix], in held: Set<UInt64>) -> Int {
        prefixes.last { held.contains($0.key) }?.bytes ?? 0
    }
}

/// 64-bit FNV-1a, with a separator after each field so that fields cannot run together.
struct FNV {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ text: String) {
        add(text.utf8)
        add(CollectionOfOne(0xff))
    }

    mutating func add(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
    }
}
