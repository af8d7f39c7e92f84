import Foundation
import HearthClient
import HearthCore
import HearthTesting
import HearthWire
import Synchronization
import Testing

/// A `hearth serve` with two models generating at once computes on one thread and its pool's
/// workers: never more busy threads than `--threads`. Measured from outside, on the server's
/// own process, so that the tests running beside it do not count.
struct ComputePoolTests {
    /// How many of the generations have sent their first piece.
    final class Started: Sendable {
        let count = Mutex(0)
    }

    /// CPU time (clock ticks) and name of each thread of process `pid`.
    static func threads(of pid: Int32) -> [String: (ticks: Int, name: String)] {
        var found: [String: (Int, String)] = [:]
        for task in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? [] {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
                let name = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8),
                let fields = stat.split(separator: ")").last?.split(separator: " "), fields.count > 13,
                let user = Int(fields[11]), let system = Int(fields[12])
            else { continue }
            found[task] = (user + system, name.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return found
    }

    @Test func twoModelsGeneratingAtOnceUseNoMoreThreadsThanGiven() async throws {
        let threads = 2
        try await CLITests.withServer(["--threads", "\(threads)", "--model", "smollm2:135m", "--model", "gemma3:270m"]) {
            server, client, _ in
            let started = Started()
            let generating = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for model in ["smollm2:135m", "gemma3:270m"] {
                        group.addTask {
                            let body = OpenAI.ChatCompletionRequest(
                                model: model, messages: [.init(role: "user", content: "Write a long story about a lighthouse keeper.")])
                            var request = body
                            request.maxTokens = 300
                            request.temperature = 0
                            // Streamed: on a loaded machine the whole answer may take longer
                            // than a client waits for a first byte.
                            var first = true
                            for try await _ in client.streamChat(request) where first {
                                first = false
                                started.count.withLock { $0 += 1 }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            // A second of both models generating, once both have loaded, read their prompts and
            // sent a first piece (on a loaded machine that may take a while).
            let deadline = ContinuousClock.now + .seconds(300)
            while started.count.withLock({ $0 }) < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            try #require(started.count.withLock { $0 } == 2, "both models did not start generating")
            // Measured on a thread of its own, so that the window is a second even when the test
            // process's shared threads are busy with other tests; busy: above a fifth of it.
            let pid = server.processIdentifier
            let (before, after, seconds) = try await onOwnThread("hearth-test-threads") {
                let start = ContinuousClock.now
                let before = Self.threads(of: pid)
                Thread.sleep(forTimeInterval: 1)
                let after = Self.threads(of: pid)
                return (before, after, (ContinuousClock.now - start).seconds)
            }
            try await generating.value

            let ticks = Double(sysconf(Int32(_SC_CLK_TCK))) * seconds / 5
            let busy = after.filter { task, now in Double(now.ticks - (before[task]?.ticks ?? now.ticks)) > ticks }
            // What computes is the compute thread and its pool's workers; the engines' own threads
            // only prepare batches and sample.
            #expect(busy.count <= threads, "busy: \(busy.values.map { "\($0.name) \($0.ticks)" })")
            #expect(busy.values.allSatisfy { $0.name == "hearth-compute" }, "busy: \(busy.values.map(\.name))")
            #expect(after.values.count { $0.name == "hearth-compute" } <= threads)
        }
    }
}
