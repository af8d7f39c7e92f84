import Foundation
import HearthCore
import Synchronization

/// A child process held to a time limit and an output limit, killed when its caller's task
/// is cancelled. It inherits no environment and no descriptor but its three pipes.
struct BoundedProcess: Sendable {
    static let stderrTail = 4_096

    let outputLimit: Int

    enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut
        case overflowed
        case cancelled
        case failedToStart(String)
    }

    struct Finished: Sendable {
        var ending: Ending
        /// At most `outputLimit` bytes.
        var stdout: Data
        /// The last few KiB it wrote to standard error.
        var stderrTail: String
    }

    /// Runs `command` (the program's path, then its arguments) with `input` on standard input.
    func run(_ command: [String], input: Data, timeout: Duration) async -> Finished {
        let stopper = Stopper()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Finished, Never>) in
                Thread.detachNewThread { [outputLimit] in
                    continuation.resume(
                        returning: Self.runBlocking(command, input: input, timeout: timeout, outputLimit: outputLimit, stopper: stopper))
                }
            }
        } onCancel: {
            stopper.stop(.cancelled)
        }
    }

    private static func runBlocking(_ command: [String], input: Data, timeout: Duration, outputLimit: Int, stopper: Stopper)
        -> Finished
    {
        let process = Process()
        process.executableURL = URL(filePath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            return Finished(ending: .failedToStart(error.localizedDescription), stdout: Data(), stderrTail: "")
        }
        stopper.started(process.processIdentifier)
        let timer = DispatchWorkItem { stopper.stop(.timedOut) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout.seconds, execute: timer)
        DispatchQueue.global().async {
            // Fails quietly when the program exits without reading (SIGPIPE is ignored).
            try? stdin.fileHandleForWriting.write(contentsOf: input)
            try? stdin.fileHandleForWriting.close()
        }
        let tail = Mutex(Data())
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            while let chunk = try? stderr.fileHandleForReading.read(upToCount: 16_384), !chunk.isEmpty {
                tail.withLock { $0 = ($0 + chunk).suffix(stderrTail) }
            }
            group.leave()
        }
        var output = Data()
        while let chunk = try? stdout.fileHandleForReading.read(upToCount: 65_536), !chunk.isEmpty {
            guard output.count + chunk.count <= outputLimit else {
                output.append(chunk.prefix(outputLimit - output.count))
                stopper.stop(.overflowed)
                break
            }
            output.append(chunk)
        }
        try? stdout.fileHandleForReading.close()
        group.wait()
        process.waitUntilExit()
        stopper.exited()
        timer.cancel()
        let status = process.terminationStatus
        let ending =
            stopper.reason
            ?? (process.terminationReason == .uncaughtSignal ? .signalled(status) : .exited(status))
        return Finished(ending: ending, stdout: output, stderrTail: String(decoding: tail.withLock { $0 }, as: UTF8.self))
    }
}

/// Why a process was stopped, and the stopping: a kill as soon as it has a process id.
private final class Stopper: Sendable {
    private let state = Mutex<(pid: pid_t?, reason: BoundedProcess.Ending?, exited: Bool)>((nil, nil, false))

    var reason: BoundedProcess.Ending? { state.withLock { $0.reason } }

    func started(_ pid: pid_t) {
        let stopped = state.withLock { state in
            state.pid = pid
            return state.reason != nil
        }
        if stopped { kill(pid, SIGKILL) }
    }

    /// Reaped: its process id may belong to another process now, and nothing is stopped any more.
    func exited() { state.withLock { $0.exited = true } }

    /// The first reason wins.
    func stop(_ reason: BoundedProcess.Ending) {
        let pid = state.withLock { state -> pid_t? in
            guard state.reason == nil, !state.exited else { return nil }
            state.reason = reason
            return state.pid
        }
        if let pid { kill(pid, SIGKILL) }
    }
}
