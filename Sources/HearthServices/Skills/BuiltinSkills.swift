import Foundation
import HearthCore
import HearthShell

/// `time_now`: the current date and time, in a time zone.
struct TimeSkill: Skill {
    let clock: @Sendable () -> Date

    let info = SkillInfo(
        name: "time_now",
        description: "Get the current date and time, in a time zone (IANA name such as Europe/Paris; default UTC).",
        inputSchema: SkillInfo.schema(["timezone": ["type": "string", "description": "IANA time zone, e.g. America/New_York"]]))

    func run(_ input: SkillInput, by principal: Principal) async throws -> SkillOutput {
        let name = input.string("timezone").flatMap { $0.isEmpty ? nil : $0 } ?? "UTC"
        guard let zone = TimeZone(identifier: name) else {
            throw HearthError.invalidRequest("unknown time zone '\(name.prefix(64))'; use an IANA name such as Europe/Paris")
        }
        let now = clock()
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = zone
        let stamp = formatter.string(from: now)
        var weekday = Calendar(identifier: .gregorian)
        weekday.timeZone = zone
        let day = DateFormatter().weekdaySymbols[weekday.component(.weekday, from: now) - 1]
        return SkillOutput("\(stamp) (\(day), \(zone.identifier))")
    }
}

/// `calculate`: arithmetic without a model's guesswork.
struct CalculatorSkill: Skill {
    let info = SkillInfo(
        name: "calculate",
        description:
            "Evaluate an arithmetic expression: numbers, + - * / % ^, parentheses, pi, e, sqrt, abs, round, floor, ceil, exp, ln, log10, log2, log(b, x), sin, cos, tan, min, max, pow.",
        inputSchema: SkillInfo.schema(
            ["expression": ["type": "string", "description": "for example (12.5 * 4) / 3"]], required: ["expression"]))

    func run(_ input: SkillInput, by principal: Principal) async throws -> SkillOutput {
        SkillOutput(Arithmetic.format(try Arithmetic.evaluate(try input.requiredString("expression"))))
    }
}

/// `shell_risk`: aish's rule-based check of a command line, for agents about to run one.
struct ShellRiskSkill: Skill {
    let info = SkillInfo(
        name: "shell_risk",
        description:
            "Check how risky a shell command line is before running it: safe (only reads), caution (changes something that can be undone) or risky (destroys data, needs privileges, runs remote code), with the reasons.",
        inputSchema: SkillInfo.schema(["command": ["type": "string", "description": "the command line"]], required: ["command"]))

    func run(_ input: SkillInput, by principal: Principal) async throws -> SkillOutput {
        // Whether a file exists is the server's business, not the caller's: never looked up.
        let assessment = RiskClassifier(fileExists: { _ in false }, isFolder: { _ in false }).assess(try input.requiredString("command"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return SkillOutput(String(decoding: try encoder.encode(assessment), as: UTF8.self))
    }
}
