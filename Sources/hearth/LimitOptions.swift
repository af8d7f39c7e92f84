import ArgumentParser
import HearthCore

/// The limit options of `hearth keys create` and `hearth users limit`.
struct LimitOptions: ParsableArguments {
    @Option(help: "Requests per minute (default: no limit).")
    var requestsPerMinute: Int?

    @Option(help: "Prompt and completion tokens per minute (default: no limit).")
    var tokensPerMinute: Int?

    @Option(help: "Requests that may run at once, streams included (default: no limit).")
    var concurrent: Int?

    @Option(help: "Prompt and completion tokens per day, UTC (default: no limit).")
    var tokensPerDay: Int?

    @Option(help: "Prompt and completion tokens per calendar month, UTC (default: no limit).")
    var tokensPerMonth: Int?

    var limits: Limits {
        Limits(
            requestsPerMinute: requestsPerMinute, tokensPerMinute: tokensPerMinute, concurrent: concurrent, tokensPerDay: tokensPerDay,
            tokensPerMonth: tokensPerMonth)
    }

    func validate() throws {
        do { try limits.validate() } catch let error as HearthError {
            throw ValidationError("--" + (error.field ?? "").replacingOccurrences(of: "_", with: "-") + " must be at least 1")
        }
    }
}
