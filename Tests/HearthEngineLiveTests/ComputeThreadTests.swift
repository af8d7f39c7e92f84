import Foundation
import HearthCore
import HearthTesting
import Testing

@testable import HearthEngine

/// Two models generating at once compute on one thread and its OpenMP workers: never more
/// inference threads than the `threads` they were given.
@Suite(.serialized) struct ComputeThreadTests {
    /// CPU time (clock ticks) and name of each thread of this process.
    static func threads() -> [String: (ticks: Int, name: String)] {
        var found: [String: (Int, String)] = [:]
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        for task in tasks {
            guard let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
                let name = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
                let fields = stat.split(separator: ")").last?.split(separator: " "), fields.count > 13,
                let user = Int(fields[11]), let system = Int(fields[12])
            else { continue }
            found[task] = (user + system, name.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return found
    }

    @Test func twoModelsGeneratingAtOnceUseNoMoreThreadsThanGiven() async throws {
        let threads = 2
        let options = EngineOptions(parallel: 2, contextPerSequence: 1024, threads: threads)
        let smollm2 = try await Engine.load(path: try TestModels.smollm2, options: options)
        let gemma3 = try await Engine.load(path: try TestModels.gemma3, options: options)
        let params = GenerationParams(maxTokens: 400, temperature: 0)
        let prompt = Prompt.chat([ChatMessage(role: .user, content: "Write a long story about a lighthouse keeper.")])
        let generating = Task {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for engine in [smollm2, gemma3] {
                    group.addTask {
                        var pieces = 0
                        for try await event in engine.generate(prompt, params: params) { if case .text = event { pieces += 1 } }
                        return pieces
                    }
                }
                return try await group.reduce(0, +)
            }
        }
        // A second of both models generating, once both have started.
        try await Task.sleep(for: .seconds(1.5))
        let before = Self.threads()
        try await Task.sleep(for: .seconds(1))
        let after = Self.threads()
        let pieces = try await generating.value
        await smollm2.shutdown()
        await gemma3.shutdown()

        let ticksPerSecond = Int(sysconf(Int32(_SC_CLK_TCK)))
        let busy = after.filter { task, now in now.ticks - (before[task]?.ticks ?? now.ticks) > ticksPerSecond / 5 }
        let computing = after.values.filter { $0.name == ComputeThread.name }
        #expect(pieces > 100)
        #expect(computing.count <= threads, "\(computing.count) compute threads")
        // What computes is the compute thread and its workers; the engines' own threads only
        // prepare batches and sample.
        #expect(busy.count <= threads, "busy: \(busy.values.map { "\($0.name) \($0.ticks)" })")
        #expect(busy.values.allSatisfy { $0.name == ComputeThread.name }, "busy: \(busy.values.map(\.name))")
    }
}
