import Foundation

/// A progress line on standard error: a bar, amount, rate and time left. On a terminal it
/// redraws in place (at most ten times a second); otherwise it prints a line every quarter.
final class ProgressBar {
    enum Unit { case bytes, items(String) }

    private let label: String
    private let unit: Unit
    private var total: Int64
    private let started = Date()
    private var lastDraw = Date.distantPast
    private var lastQuarter = -1
    private let terminal = isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"

    init(_ label: String, total: Int64, unit: Unit = .bytes) {
        self.label = label
        self.total = total
        self.unit = unit
    }

    /// Shows `done` of the total; `total` may be learnt late (a download's Content-Length).
    func update(_ done: Int64, total: Int64? = nil, resumedFrom: Int64 = 0, detail: String? = nil) {
        if let total { self.total = total }
        let now = Date()
        if terminal {
            guard now.timeIntervalSince(lastDraw) >= 0.1 || done >= self.total else { return }
            lastDraw = now
            write("\r\u{1B}[K" + line(done, resumedFrom: resumedFrom, detail: detail))
        } else if self.total > 0 {
            let quarter = Int(done * 4 / self.total)
            guard quarter > lastQuarter else { return }
            lastQuarter = quarter
            write(line(done, resumedFrom: resumedFrom, detail: detail) + "\n")
        }
    }

    /// Ends the line with a closing message.
    func finish(_ message: String) {
        write((terminal ? "\r\u{1B}[K" : "") + "\(label) \(message)\n")
    }

    /// The bar, amount, `detail` (shown after the amount: "1204 chunks"), rate and time left.
    private func line(_ done: Int64, resumedFrom: Int64, detail: String?) -> String {
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 0
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let elapsed = max(Date().timeIntervalSince(started), 0.001)
        let rate = Double(done - resumedFrom) / elapsed
        let (amount, speed) =
            switch unit {
            case .bytes: ("\(formatBytes(done))/\(formatBytes(total))", "\(formatBytes(Int64(rate)))/s")
            case .items(let name): ("\(done)/\(total) \(name)", String(format: "%.1f", rate) + " \(name)/s")
            }
        var text = "\(label) \(bar) \(String(format: "%3.0f%%", fraction * 100)) \(amount)"
        if let detail { text += " · \(detail)" }
        text += "  \(speed)"
        if rate > 0, done < total { text += "  " + clock(Double(total - done) / rate) + " left" }
        return text
    }

    private func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
