import Foundation
import HearthCore
import HearthKnowledge
import Synchronization

/// Reading images: OCR for any caller (no data is kept), a few at a time, so that a burst
/// of large scans shares the cores with the models instead of taking them.
public struct VisionService: Sendable {
    private let turns = AsyncTurns(count: 2)

    public init() {}

    /// The text in `data`, an image file's bytes.
    /// - Throws: `HearthError.invalidRequest` for data that is not an image Hearth reads, an
    ///   image too large to decode, or one Tesseract cannot read.
    public func read(_ data: Data, by principal: Principal) async throws -> OCRResult {
        try await turns.run { try await OCR.read(data) }
    }
}

/// At most `count` bodies running at once; the rest wait in arrival order.
final class AsyncTurns: Sendable {
    private let state: Mutex<(free: Int, waiting: [CheckedContinuation<Void, Never>])>

    init(count: Int) {
        state = Mutex((count, []))
    }

    func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await withCheckedContinuation { continuation in
            let admitted = state.withLock { state in
                guard state.free > 0 else {
                    state.waiting.append(continuation)
                    return false
                }
                state.free -= 1
                return true
            }
            if admitted { continuation.resume() }
        }
        defer {
            // The turn passes to the next in line, or is given back: in one step, so that none
            // who queued meanwhile is forgotten.
            let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard !state.waiting.isEmpty else {
                    state.free += 1
                    return nil
                }
                return state.waiting.removeFirst()
            }
            next?.resume()
        }
        return try await body()
    }
}
