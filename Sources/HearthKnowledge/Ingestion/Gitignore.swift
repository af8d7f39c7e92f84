/// The rules of one `.gitignore` file: globs with `*`, `?`, `[…]` and `**`, `!` to
/// re-include, a trailing `/` for folders only, a `/` inside to anchor at the file's folder.
struct Gitignore: Sendable {
    struct Rule: Sendable {
        var pattern: [Character]
        var negated: Bool
        var directoryOnly: Bool
        var anchored: Bool
    }

    var rules: [Rule] = []

    init(_ text: String) {
        for raw in text.split(separator: "\n") {
            var line = Substring(raw.trimmingSuffix(while: { $0 == " " || $0 == "\r" }))
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let negated = line.hasPrefix("!")
            if negated { line = line.dropFirst() }
            if line.hasPrefix("\\") { line = line.dropFirst() }
            let directoryOnly = line.hasSuffix("/")
            if directoryOnly { line = line.dropLast() }
            let anchored = line.contains("/")
            if line.hasPrefix("/") { line = line.dropFirst() }
            guard !line.isEmpty else { continue }
            rules.append(Rule(pattern: Array(line), negated: negated, directoryOnly: directoryOnly, anchored: anchored))
        }
    }

    /// Whether the rules ignore `path` (relative to the file's folder): true, false, or nil
    /// when no rule speaks of it.
    func verdict(_ path: String, isDirectory: Bool) -> Bool? {
        var result: Bool?
        let path = Array(path)
        let name = path.split(separator: "/").last ?? path[...]
        for rule in rules where !(rule.directoryOnly && !isDirectory) {
            if Self.matches(rule.pattern[...], rule.anchored ? path[...] : name) { result = !rule.negated }
        }
        return result
    }

    static func matches(_ pattern: ArraySlice<Character>, _ text: ArraySlice<Character>) -> Bool {
        guard let first = pattern.first else { return text.isEmpty }
        switch first {
        case "*":
            if pattern.dropFirst().first == "*" {
                var rest = pattern.dropFirst(2)
                if rest.first == "/" { rest = rest.dropFirst() }
                // `**` matches any number of folders.
                var candidate = text
                while true {
                    if matches(rest, candidate) { return true }
                    guard !candidate.isEmpty else { return false }
                    candidate = candidate.dropFirst()
                }
            }
            var candidate = text
            while true {
                if matches(pattern.dropFirst(), candidate) { return true }
                guard let next = candidate.first, next != "/" else { return false }
                candidate = candidate.dropFirst()
            }
        case "?":
            guard let next = text.first, next != "/" else { return false }
            return matches(pattern.dropFirst(), text.dropFirst())
        case "[":
            guard let close = pattern.dropFirst().firstIndex(of: "]"), let next = text.first else { return false }
            var set = pattern[(pattern.startIndex + 1)..<close]
            let negate = set.first == "!" || set.first == "^"
            if negate { set = set.dropFirst() }
            var found = false
            var index = set.startIndex
            while index < set.endIndex {
                if index + 2 < set.endIndex, set[index + 1] == "-" {
                    if set[index] <= next && next <= set[index + 2] { found = true }
                    index += 3
                } else {
                    if set[index] == next { found = true }
                    index += 1
                }
            }
            return found != negate && matches(pattern[(close + 1)...], text.dropFirst())
        default:
            guard text.first == first else { return false }
            return matches(pattern.dropFirst(), text.dropFirst())
        }
    }
}

extension Substring {
    func trimmingSuffix(while predicate: (Character) -> Bool) -> Substring {
        var result = self
        while let last = result.last, predicate(last) { result = result.dropLast() }
        return result
    }
}
