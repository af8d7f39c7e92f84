import ArgumentParser
import Foundation
import Logging

/// How `hearth serve` writes its log: readable lines for people, or one JSON object per
/// line for machines (`--log-format json`).
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json

    /// Makes every logger of the process write in this format to standard error.
    func bootstrap(level: Logger.Level) {
        switch self {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, logLevel: level) }
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// `--log-level` and `--log-format`, for the commands that run a server (`serve`, `worker`).
struct LogFlags: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, warning, error.")
    var logLevel: Logger.Level = .info

    @Option(name: .long, help: "Log format: text (for people) or json (one object per line).")
    var logFormat: LogFormat = .text

    /// Makes every logger write as asked; returns the command's own.
    func start() -> Logger {
        logFormat.bootstrap(level: logLevel)
        var logger = Logger(label: "hearth")
        logger.logLevel = logLevel
        return logger
    }
}

/// One JSON object per line on standard error: `time`, `level`, `label`, `message` and the
/// metadata's keys (`hearth.request.id`, …).
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(label: String, logLevel: Logger.Level) {
        self.label = label
        self.logLevel = logLevel
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: String] = [
            "time": ISO8601DateFormatter().string(from: Date()), "level": event.level.rawValue, "label": label,
            "message": event.message.description,
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { object[key] = "\(value)" }
        if let error = event.error { object["error"] = String(reflecting: error) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(object) else { return }
        FileHandle.standardError.write(data + Data("\n".utf8))
    }
}
