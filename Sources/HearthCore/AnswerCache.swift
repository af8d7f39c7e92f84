import Foundation
import Synchronization

/// A whole answer kept for replay: its events as they came (text pieces, calls, the end).
public struct CachedAnswer: Sendable, Equatable {
    public var events: [TokenEvent]

    public init(events: [TokenEvent]) { self.events = events }

    /// What it takes in memory, roughly: its text and calls.
    public var bytes: Int {
        events.reduce(64) { total, event in
            switch event {
            case .text(let text): total + text.utf8.count + 16
            case .toolCall(let call): total + call.id.utf8.count + call.name.utf8.count + call.arguments.utf8.count + 48
            case .done: total + 32
            }
        }
    }
}

/// Stored outside the process (Redis), an answer is JSON: its events in order, each
/// `{"text": …}`, `{"call": {id, name, arguments}}` or `{"done": reason, "usage": {…}}`.
extension CachedAnswer: Codable {
    private struct Event: Codable {
        var text: String?
        var call: ToolCall?
        var done: FinishReason?
        var usage: Usage?
    }

    public init(from decoder: any Decoder) throws {
        let stored = try decoder.singleValueContainer().decode([Event].self)
        events = try stored.map { event in
            if let text = event.text { return .text(text) }
            if let call = event.call { return .toolCall(call) }
            if let done = event.done, let usage = event.usage { return .done(done, usage) }
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "an event of no known kind"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(
            events.map { event in
                switch event {
                case .text(let text): Event(text: text)
                case .toolCall(let call): Event(call: call)
                case .done(let reason, let usage): Event(done: reason, usage: usage)
                }
            })
    }
}

/// Where whole answers are kept, by a key the chat service derives from the request and its
/// caller: in memory, or in Redis where replicas share them.
public protocol AnswerCache: Sendable {
    func answer(for key: String, at now: Date) async -> CachedAnswer?
    func keep(_ answer: CachedAnswer, for key: String, until expiry: Date) async
}

/// In memory, bounded in bytes: the least recently used answers go first.
public final class MemoryAnswerCache: AnswerCache {
    private struct Entry {
        var answer: CachedAnswer
        var bytes: Int
        var expiry: Date
        var lastUse: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    public let capacityBytes: Int
    private let state = Mutex(State())

    public init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    public func answer(for key: String, at now: Date) -> CachedAnswer? {
        state.withLock { state in
            guard var entry = state.entries[key] else { return nil }
            guard entry.expiry > now else {
                state.entries[key] = nil
                state.bytes -= entry.bytes
                return nil
            }
            state.clock += 1
            entry.lastUse = state.clock
            state.entries[key] = entry
            return entry.answer
        }
    }

    public func keep(_ answer: CachedAnswer, for key: String, until expiry: Date) {
        let bytes = answer.bytes + key.utf8.count
        // One answer may take a sixteenth of the cache at most.
        guard bytes <= capacityBytes / 16 else { return }
        state.withLock { state in
            if let old = state.entries[key] { state.bytes -= old.bytes }
            state.clock += 1
            state.entries[key] = Entry(answer: answer, bytes: bytes, expiry: expiry, lastUse: state.clock)
            state.bytes += bytes
            while state.bytes > capacityBytes, let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                state.entries[oldest.key] = nil
                state.bytes -= oldest.value.bytes
            }
        }
    }

    /// Answers kept now, and the bytes they take.
    public var usage: (answers: Int, bytes: Int) { state.withLock { ($0.entries.count, $0.bytes) } }
}
