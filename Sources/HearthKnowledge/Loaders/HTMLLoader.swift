import Foundation

/// HTML: the visible text, headings `h1`–`h6` kept as headings, block elements as
/// paragraphs, `pre` as code; scripts, styles and comments dropped. Each block knows the
/// source line it starts on.
enum HTMLLoader {
    private static let skipped: Set<String> = ["script", "style", "noscript", "template", "svg", "head"]
    private static let breaking: Set<String> = [
        "p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "header", "footer", "nav", "aside", "main",
        "blockquote", "dd", "dt", "dl", "hr", "form", "figure", "figcaption", "td", "th", "title", "body",
    ]

    static func blocks(_ html: String) -> [Block] {
        var blocks: [Block] = []
        var text = ""
        var textLine = 1
        var line = 1
        var heading: Int?
        var preformatted = false
        let scalars = Array(html.unicodeScalars)
        var i = 0

        func flush() {
            let content =
                preformatted
                ? text.trimmingCharacters(in: .newlines)
                : text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            if !content.isEmpty {
                let kind: Block.Kind = heading.map { .heading($0) } ?? (preformatted ? .code : .paragraph)
                blocks.append(Block(kind, content, firstLine: textLine))
            }
            text = ""
        }

        func append(_ string: String) {
            if text.isEmpty {
                if string.allSatisfy(\.isWhitespace) { return }
                textLine = line
            }
            text += string
        }

        while i < scalars.count {
            let scalar = scalars[i]
            if scalar == "<" {
                // Comments.
                if i + 3 < scalars.count, scalars[i + 1] == "!", scalars[i + 2] == "-", scalars[i + 3] == "-" {
                    var j = i + 4
                    while j + 2 < scalars.count, !(scalars[j] == "-" && scalars[j + 1] == "-" && scalars[j + 2] == ">") {
                        if scalars[j] == "\n" { line += 1 }
                        j += 1
                    }
                    i = j + 3
                    continue
                }
                var j = i + 1
                while j < scalars.count, scalars[j] != ">" {
                    if scalars[j] == "\n" { line += 1 }
                    j += 1
                }
                let tag = String(String.UnicodeScalarView(scalars[(i + 1)..<min(j, scalars.count)]))
                i = j + 1
                let closing = tag.hasPrefix("/")
                let name = tag.drop { $0 == "/" }.prefix { $0.isLetter || $0.isNumber }.lowercased()
                if !closing, skipped.contains(name) {
                    // Skip to the matching closing tag.
                    let end = Array("</\(name)".unicodeScalars)
                    var k = i
                    while k < scalars.count {
                        if scalars[k] == "<", k + end.count <= scalars.count,
                            String(String.UnicodeScalarView(scalars[k..<(k + end.count)])).lowercased() == "</\(name)"
                        {
                            break
                        }
                        if scalars[k] == "\n" { line += 1 }
                        k += 1
                    }
                    while k < scalars.count, scalars[k] != ">" { k += 1 }
                    i = k + 1
                    continue
                }
                if name.count == 2, name.first == "h", let level = Int(name.dropFirst()), (1...6).contains(level) {
                    flush()
                    heading = closing ? nil : level
                } else if name == "pre" {
                    flush()
                    preformatted = !closing
                } else if breaking.contains(name) {
                    if name == "br", preformatted { text += "\n" } else if heading == nil { flush() }
                }
                continue
            }
            if scalar == "&" {
                var j = i + 1
                while j < scalars.count, j - i < 10, scalars[j] != ";", scalars[j] != "<", !scalars[j].properties.isWhitespace { j += 1 }
                if j < scalars.count, scalars[j] == ";", let decoded = entity(String(String.UnicodeScalarView(scalars[(i + 1)..<j]))) {
                    append(decoded)
                    i = j + 1
                    continue
                }
            }
            if scalar == "\n" { line += 1 }
            append(String(scalar))
            i += 1
        }
        flush()
        return blocks
    }

    private static func entity(_ name: String) -> String? {
        switch name {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos", "#39": return "'"
        case "nbsp": return " "
        case "mdash": return "—"
        case "ndash": return "–"
        case "hellip": return "…"
        case "copy": return "©"
        default:
            let number: UInt32?
            if name.hasPrefix("#x") || name.hasPrefix("#X") {
                number = UInt32(name.dropFirst(2), radix: 16)
            } else if name.hasPrefix("#") {
                number = UInt32(name.dropFirst())
            } else {
                number = nil
            }
            return number.flatMap(Unicode.Scalar.init).map { String($0) }
        }
    }
}
