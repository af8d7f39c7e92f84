import Foundation

/// Work that holds a thread for long (loading a model, decoding a long file, running a
/// model), done on a Dispatch queue rather than on one of Swift's few task threads: blocking
/// those stalls every other task of the process (a database's client, a stream's timer).
public enum Blocking {
    public static func run<T: Sendable>(on queue: DispatchQueue = .global(), _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
