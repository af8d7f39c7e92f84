import ArgumentParser
import Foundation
import HearthApp
import HearthCore
import Logging

extension Hearth {
    struct Worker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve models to gateways over NATS, without the HTTP API.",
            discussion: """
                Loads the models, then takes their requests from NATS (HEARTH_NATS_URL):
                from the queue group hearth-workers on hearth.work.MODEL, and, sent to it
                alone, on hearth.worker.NAME. Gateways (`hearth serve --workers`) send each
                request to the worker that holds the longest prefix of its prompt among those
                with a free sequence, and stream its tokens back. SIGTERM or Ctrl-C: no new
                requests are taken; those running finish (up to --grace seconds).

                Examples:
                  HEARTH_NATS_URL=nats://127.0.0.1:4222 hearth worker --model smollm2:135m
                  taskset -c 1 hearth worker --model gemma3:270m --threads 1 --name gpu-box-1
                """)

        @Option(name: .long, help: "A model to serve (name:tag); repeat for several (default: HEARTH_MODELS).")
        var model: [String] = []

        @Option(name: .long, help: "This worker's name in logs and X-Hearth-Provider (default: host-PID).")
        var name: String?

        @Option(name: .long, help: "Sequences each model serves at once (HEARTH_PARALLEL).")
        var parallel: Int?

        @Option(name: .long, help: "Seconds running requests may take to finish when stopping.")
        var grace: Int = 30

        @OptionGroup var engine: EngineFlags

        @OptionGroup var log: LogFlags

        func validate() throws {
            if let parallel, parallel < 1 { throw ValidationError("--parallel must be at least 1") }
            if grace < 0 { throw ValidationError("--grace must not be negative") }
            if let name, name.isEmpty || name.contains(where: { !($0.isLetter || $0.isNumber || "-_".contains($0)) }) {
                throw ValidationError("--name takes letters, digits, '-' and '_'")
            }
        }

        func run() async throws {
            var configuration = try engine.configuration()
            if let parallel { configuration.parallel = parallel }
            let logger = log.start()
            do {
                try await WorkerApplication.run(
                    configuration, models: model.isEmpty ? configuration.models : model, id: name ?? WorkerApplication.defaultID,
                    grace: .seconds(grace), logger: logger)
            } catch let error as HearthError {
                throw fail(error)
            }
        }
    }
}
