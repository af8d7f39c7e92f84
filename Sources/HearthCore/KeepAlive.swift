import Foundation

/// How long a model stays loaded after its last request, as Ollama's `keep_alive` says it:
/// a duration (`"5m"`, `"30s"`, `"1h30m"`, or a number of seconds), `0` to unload as soon
/// as the request is answered, or a negative value to keep it loaded.
public enum KeepAlive {
    /// Seconds in a Go duration (`"1h30m"`, `"-1m"`, `"250ms"`) or a plain number (`"300"`, `"-1"`);
    /// negative means "forever".
    /// - Throws: `HearthError.invalidRequest` when `text` is not a duration.
    public static func seconds(_ text: String, field: String = "keep_alive") throws -> TimeInterval {
        guard let seconds = parse(text) else {
            throw HearthError.invalidRequest("'\(text)' is not a duration such as 5m, 30s or -1", field: field)
        }
        return seconds
    }

    static func parse(_ text: String) -> TimeInterval? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if let number = Double(text) { return number.isFinite ? number : nil }
        var rest = Substring(text)
        var sign = 1.0
        if let first = rest.first, first == "-" || first == "+" {
            sign = first == "-" ? -1 : 1
            rest = rest.dropFirst()
        }
        // Longer units first, so that `ms` is not read as `m`.
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        let digits = Set("0123456789.")
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix(while: { digits.contains($0) })
            guard let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        return sign * total
    }
}

/// Byte sizes as people write them: `8GB`, `512MiB`, `2G`, or a number of bytes.
public enum ByteSize {
    /// - Throws: `HearthError.invalidRequest` when `text` is not a size.
    public static func bytes(_ text: String, field: String) throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(String, Double)] = [
            ("KIB", 1024), ("MIB", 1_048_576), ("GIB", 1_073_741_824), ("TIB", 1_099_511_627_776),
            ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("K", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("B", 1),
        ]
        let (digits, scale) = units.first { trimmed.hasSuffix($0.0) }.map { (String(trimmed.dropLast($0.0.count)), $0.1) } ?? (trimmed, 1)
        guard let value = Double(digits.trimmingCharacters(in: .whitespaces)), value > 0 else {
            throw HearthError.invalidRequest("\(field) must be a size such as 8GB or 512MiB, got '\(text)'", field: field)
        }
        return Int64(value * scale)
    }
}
