import Foundation

/// Manual pages through `man -l`: section titles (lines flush left) become headings,
/// indented text becomes paragraphs; lines are those of the rendered page.
enum ManLoader {
    static func load(_ url: URL) async throws -> LoadedDocument {
        let data = try await ExternalTool.run(
            "man", ["-l", url.path], environment: ["MANWIDTH": "80", "MAN_KEEP_FORMATTING": "", "MANPAGER": "cat", "PAGER": "cat"],
            package: "man-db")
        let text = stripOverstrike(String(decoding: data, as: UTF8.self))
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // The first and last lines are the page's header and footer.
        if let first = lines.first, !first.hasPrefix(" "), first.contains("(") { lines[0] = "" }
        if let last = lines.lastIndex(where: { !$0.allSatisfy(\.isWhitespace) }), lines[last].contains("  ") { lines[last] = "" }
        var blocks: [Block] = []
        var body: [Substring] = []
        var bodyStart = 1
        func flush() {
            blocks += paragraphs(body.joined(separator: "\n")[...], firstLine: bodyStart)
            body = []
        }
        for (offset, line) in lines.enumerated() {
            if let first = line.first, !first.isWhitespace {
                flush()
                blocks.append(Block(.heading(1), line.trimmingCharacters(in: .whitespaces), firstLine: offset + 1))
                bodyStart = offset + 2
            } else {
                if body.isEmpty { bodyStart = offset + 1 }
                body.append(line.count > 7 && line.hasPrefix("       ") ? line.dropFirst(7) : line)
            }
        }
        flush()
        var metadata: [String: String] = [:]
        if let name = blocks.firstIndex(where: { $0.kind == .heading(1) && $0.text == "NAME" }), name + 1 < blocks.count {
            metadata["title"] = String(blocks[name + 1].text.prefix(200))
        }
        return LoadedDocument(blocks: blocks, metadata: metadata)
    }

    /// Removes troff's bold and underline overstrikes (`X\bX`, `_\bX`).
    static func stripOverstrike(_ text: String) -> String {
        guard text.contains("\u{08}") else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar == "\u{08}" {
                if !result.isEmpty { result.removeLast() }
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }
}
