import Foundation
import HearthClient
import HearthCore
import HearthTesting
import HearthWire
import Testing

/// A `hearth serve` with two models generating at once computes on one thread and its pool's
/// workers: never more busy threads than `--threads`. Measured from outside, on the server's
/// own process, so that the tests running beside it do not count.
struct ComputePoolTests {
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
                            for try await _ in client.streamChat(request) {}
                        }
                    }
                    try await group.waitForAll()
                }
            }
            // A second of both models generating, once both have started.
            try await Task.sleep(for: .seconds(2))
            let before = Self.threads(of: server.processIdentifier)
            try await Task.sleep(for: .seconds(1))
            let after = Self.threads(of: server.processIdentifier)
            try await generating.value

            let ticksPerSecond = Int(sysconf(Int32(_SC_CLK_TCK)))
            let busy = after.filter { task, now in now.ticks - (before[task]?.ticks ?? now.ticks) > ticksPerSecond / 5 }
            // What computes is the compute thread and its pool's workers; the engines' own threads
            // only prepare batches and sample.
            #expect(busy.count <= threads, "busy: \(busy.values.map { "\($0.name) \($0.ticks)" })")
            #expect(busy.values.allSatisfy { $0.name == "hearth-compute" }, "busy: \(busy.values.map(\.name))")
            #expect(after.values.count { $0.name == "hearth-compute" } <= threads)
        }
    }
}
