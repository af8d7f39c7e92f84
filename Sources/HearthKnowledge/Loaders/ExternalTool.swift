import Foundation
import HearthCore

/// Runs a converter (pdftotext, man) on a thread of its own and returns what it printed.
enum ExternalTool {
    struct Output {
        var status: Int32
        var stdout: Data
        var stderr: String
    }

    /// - Throws: `HearthError.invalidRequest` when the tool is not installed or fails.
    static func run(
        _ tool: String, _ arguments: [String], environment: [String: String] = [:], package: String, timeout: TimeInterval = 120
    )
        async throws -> Data
    {
        let output = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Output, any Error>) in
            Thread.detachNewThread {
                let process = Process()
                process.executableURL = URL(filePath: "/usr/bin/env")
                process.arguments = [tool] + arguments
                process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
                let stdout = Pipe()
                let stderr = Pipe()
                process.standardOutput = stdout
                process.standardError = stderr
                process.standardInput = FileHandle.nullDevice
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: HearthError.invalidRequest("cannot run \(tool): \(error.localizedDescription)"))
                    return
                }
                let timer = DispatchWorkItem { process.terminate() }
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
                nonisolated(unsafe) var errorData = Data()
                let group = DispatchGroup()
                group.enter()
                DispatchQueue.global().async {
                    errorData = stderr.fileHandleForReading.readDataToEndOfFile()
                    group.leave()
                }
                let data = stdout.fileHandleForReading.readDataToEndOfFile()
                group.wait()
                process.waitUntilExit()
                timer.cancel()
                continuation.resume(
                    returning: Output(status: process.terminationStatus, stdout: data, stderr: String(decoding: errorData, as: UTF8.self)))
            }
        }
        if output.status == 127 {
            throw HearthError.invalidRequest("\(tool) is not installed (Debian package \(package))")
        }
        guard output.status == 0 else {
            let reason = output.stderr.split(separator: "\n").first.map(String.init) ?? "exit status \(output.status)"
            throw HearthError.invalidRequest("\(tool) failed: \(reason.prefix(200))")
        }
        return output.stdout
    }
}
