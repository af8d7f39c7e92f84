/// A shell command line broken into what runs: simple commands (words after quote
/// removal, with their redirections), however they are joined (`|`, `&&`, `||`, `;`, `&`)
/// or nested (`$(…)`, backquotes, `(…)`, `{ …; }`, `<(…)`). It is not a full POSIX parser:
/// it reads enough to see every program a line would run and every file it would write.
public struct ShellSyntax: Sendable, Equatable {
    /// One program invocation.
    public struct Command: Sendable, Equatable {
        /// The words, quotes removed (`["rm", "-rf", "my dir"]`); assignments (`A=1`) dropped.
        public var words: [String]
        public var redirections: [Redirection]
        /// Whether its standard input comes from a pipe.
        public var readsPipe: Bool
        /// Whether its output goes into a pipe, and to which program.
        public var pipesTo: String?

        public var program: String? { words.first.map { $0.split(separator: "/").last.map(String.init) ?? $0 } }
        public var arguments: [String] { Array(words.dropFirst()) }
    }

    /// `>`, `>>`, `<`, … with its target.
    public struct Redirection: Sendable, Equatable {
        public var op: String
        public var target: String
        /// Whether it writes (`>`, `>>`, `&>`, `>|`), rather than reads.
        public var writes: Bool { op.contains(">") && !target.hasPrefix("&") }
        public var appends: Bool { op.hasSuffix(">>") }
    }

    public var commands: [Command]
    /// Whether the line defines a function that calls itself in a pipe (`:(){ :|:& };:`).
    public var forkBomb: Bool

    /// Parses `line`.
    public init(_ line: String) {
        forkBomb = Self.looksLikeForkBomb(line)
        var parser = Parser(Array(line))
        commands = parser.parseList()
    }

    static func looksLikeForkBomb(_ line: String) -> Bool {
        let compact = line.filter { !$0.isWhitespace }
        guard let open = compact.range(of: "(){") else { return false }
        let name = String(compact[..<open.lowerBound])
        guard !name.isEmpty else { return false }
        let body = compact[open.upperBound...]
        return body.contains("\(name)|\(name)")
    }
}

/// A hand-written scanner: words with quoting, operators, and nested command text.
private struct Parser {
    let text: [Character]
    var index = 0

    init(_ text: [Character]) { self.text = text }

    var atEnd: Bool { index >= text.count }
    var current: Character? { atEnd ? nil : text[index] }
    func peek(_ offset: Int = 1) -> Character? { index + offset < text.count ? text[index + offset] : nil }

    /// Every simple command of the list, nested ones included.
    mutating func parseList() -> [ShellSyntax.Command] {
        var result: [ShellSyntax.Command] = []
        var words: [String] = []
        var redirections: [ShellSyntax.Redirection] = []
        var readsPipe = false
        var nested: [ShellSyntax.Command] = []

        func finish(pipe: Bool) {
            let meaningful = words.drop { $0.contains("=") && !$0.hasPrefix("=") && $0.first?.isLetter == true }
            if !meaningful.isEmpty || !redirections.isEmpty {
                result.append(
                    ShellSyntax.Command(words: Array(meaningful), redirections: redirections, readsPipe: readsPipe, pipesTo: nil))
                readsPipe = pipe
            } else {
                readsPipe = pipe && readsPipe
            }
            result += nested
            nested = []
            words = []
            redirections = []
        }

        while let c = current {
            switch c {
            case " ", "\t", "\n":
                index += 1
            case "#" where words.isEmpty:
                while let d = current, d != "\n" { index += 1 }
            case "|":
                index += 1
                if current == "|" {
                    index += 1
                    finish(pipe: false)
                } else {
                    if current == "&" { index += 1 }
                    let before = result.count
                    finish(pipe: true)
                    if result.count > before { result[before].pipesTo = "" }
                }
            case "&":
                index += 1
                if current == "&" { index += 1 }
                if current == ">" {  // &> file
                    index += 1
                    if current == ">" { index += 1 }
                    redirections.append(.init(op: "&>", target: readWord(&nested)))
                } else {
                    finish(pipe: false)
                }
            case ";":
                index += 1
                finish(pipe: false)
            case "(":
                index += 1
                nested += parseNested(until: ")")
            case ")", "}":
                index += 1
            case "{" where words.isEmpty:
                index += 1
            case ">", "<":
                var op = String(c)
                index += 1
                if let d = current, d == ">" || d == "&" || d == "|" || (c == "<" && d == "<") {
                    op.append(d)
                    index += 1
                }
                if c == "<", current == "(" {  // <(…) process substitution
                    index += 1
                    nested += parseNested(until: ")")
                    continue
                }
                if op == "<<" {  // here-document: the delimiter word, body not examined
                    _ = readWord(&nested)
                    continue
                }
                redirections.append(.init(op: op, target: readWord(&nested)))
            default:
                if c.isNumber, let d = peek(), d == ">" || d == "<", words.isEmpty || !(text[index - 1].isLetter) {
                    // 2> file, 2>&1
                    let fd = String(c)
                    index += 1
                    var op = fd + String(text[index])
                    index += 1
                    if let e = current, e == ">" || e == "&" {
                        op.append(e)
                        index += 1
                    }
                    redirections.append(.init(op: op, target: readWord(&nested)))
                    continue
                }
                words.append(readWord(&nested))
            }
        }
        finish(pipe: false)
        // Fill in which program each piped command feeds.
        for i in result.indices where result[i].pipesTo == "" {
            result[i].pipesTo = result[(i + 1)...].first(where: { $0.readsPipe })?.program
        }
        return result
    }

    /// The text up to the matching `close`, parsed as a list of its own.
    mutating func parseNested(until close: Character) -> [ShellSyntax.Command] {
        var depth = 1
        var inner: [Character] = []
        var quote: Character?
        while let c = current {
            index += 1
            if let q = quote {
                if c == q { quote = nil }
                inner.append(c)
                continue
            }
            if c == "'" || c == "\"" { quote = c }
            if c == "(" { depth += 1 }
            if c == close {
                depth -= 1
                if depth == 0 { break }
            }
            inner.append(c)
        }
        var parser = Parser(inner)
        return parser.parseList()
    }

    /// One word with quotes removed; command substitutions inside it are parsed into `nested`.
    mutating func readWord(_ nested: inout [ShellSyntax.Command]) -> String {
        while current == " " || current == "\t" { index += 1 }
        var word = ""
        while let c = current {
            switch c {
            case " ", "\t", "\n", ";", "|", "&", ">", "<", ")":
                return word
            case "(" where word.isEmpty:
                return word
            case "\\":
                index += 1
                if let d = current {
                    word.append(d)
                    index += 1
                }
            case "'":
                index += 1
                while let d = current, d != "'" {
                    word.append(d)
                    index += 1
                }
                index += 1
            case "\"":
                index += 1
                while let d = current, d != "\"" {
                    if d == "\\", let e = peek(), "\"\\$`".contains(e) {
                        word.append(e)
                        index += 2
                        continue
                    }
                    if d == "$", peek() == "(" {
                        index += 2
                        nested += parseNested(until: ")")
                        word.append("$(…)")
                        continue
                    }
                    if d == "`" {
                        index += 1
                        nested += parseBackquoted()
                        word.append("`…`")
                        continue
                    }
                    word.append(d)
                    index += 1
                }
                index += 1
            case "$" where peek() == "(":
                index += 2
                nested += parseNested(until: ")")
                word.append("$(…)")
            case "`":
                index += 1
                nested += parseBackquoted()
                word.append("`…`")
            default:
                word.append(c)
                index += 1
            }
        }
        return word
    }

    mutating func parseBackquoted() -> [ShellSyntax.Command] {
        var inner: [Character] = []
        while let c = current, c != "`" {
            inner.append(c)
            index += 1
        }
        index += 1
        var parser = Parser(inner)
        return parser.parseList()
    }
}
