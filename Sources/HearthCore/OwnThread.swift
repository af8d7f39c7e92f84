import Foundation

/// Runs blocking work (a llama.cpp call, file or database I/O, an index rebuild) on a new
/// thread of its own, off Swift's cooperative pool, and waits for it without holding a
/// pool thread.
/// - Throws: what `body` throws.
public func onOwnThread<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }
}
