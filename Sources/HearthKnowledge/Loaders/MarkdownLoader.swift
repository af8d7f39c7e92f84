import Foundation

/// Markdown: ATX headings (`#` to `######`), fenced code blocks kept whole, paragraphs at
/// blank lines. Plain text is Markdown without headings.
enum MarkdownLoader {
    static func blocks(_ text: String, headings: Bool = true) -> [Block] {
        var blocks: [Block] = []
        var pending: [Substring] = []
        var pendingStart = 1
        var fence: Substring?
        var fenceLines: [Substring] = []
        var fenceStart = 1

        func flush() {
            if !pending.isEmpty { blocks += paragraphs(pending.joined(separator: "\n")[...], firstLine: pendingStart) }
            pending = []
        }

        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            let trimmed = line.drop { $0 == " " }
            if let open = fence {
                if trimmed.hasPrefix(open) {
                    blocks.append(Block(.code, fenceLines.joined(separator: "\n"), firstLine: fenceStart))
                    fence = nil
                } else {
                    fenceLines.append(line)
                }
                continue
            }
            if headings, trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                flush()
                fence = trimmed.prefix(3)
                fenceLines = []
                fenceStart = number + 1
                continue
            }
            if headings, let level = headingLevel(trimmed) {
                flush()
                let title = trimmed.dropFirst(level).trimmingCharacters(in: .whitespaces).trimmingTrailing("#")
                if !title.isEmpty { blocks.append(Block(.heading(level), title, firstLine: number)) }
                continue
            }
            if pending.isEmpty { pendingStart = number }
            pending.append(line)
        }
        if fence != nil, !fenceLines.isEmpty { blocks.append(Block(.code, fenceLines.joined(separator: "\n"), firstLine: fenceStart)) }
        flush()
        return blocks
    }

    private static func headingLevel(_ line: Substring) -> Int? {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes) else { return nil }
        let rest = line.dropFirst(hashes)
        return rest.isEmpty || rest.first == " " || rest.first == "\t" ? hashes : nil
    }
}

extension String {
    func trimmingTrailing(_ character: Character) -> String {
        var text = self
        while text.last == character { text.removeLast() }
        return text.trimmingCharacters(in: .whitespaces)
    }
}
