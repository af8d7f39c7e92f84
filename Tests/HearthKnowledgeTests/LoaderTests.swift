import Foundation
import HearthCore
import Testing

@testable import HearthKnowledge

@Suite("Loaders and chunking")
struct LoaderTests {
    @Test("Markdown: headings make the path, code fences stay whole, lines are kept")
    func markdown() async throws {
        let text = """
            # Guide

            Intro line.

            ## Install

            Run make.
            Then wait.

            ```
            make run

            make test
            ```
            """
        let document = try await DocumentLoader.load(URL(filePath: "/x/guide.md"), kind: .markdown, data: Data(text.utf8))
        let chunks = Chunker().chunks(document)
        #expect(chunks.map(\.heading) == ["Guide", "Guide › Install"])
        #expect(chunks[0].text == "Intro line.")
        #expect(chunks[0].location == SourceLocation(lines: 3...3))
        #expect(chunks[1].text == "Run make.\nThen wait.\n\nmake run\n\nmake test")
        #expect(chunks[1].location == SourceLocation(lines: 7...13))
    }

    @Test("HTML: visible text only, headings kept, entities decoded")
    func html() async throws {
        let html = """
            <html><head><title>T</title><style>p{color:red}</style></head>
            <body><script>alert("no")</script><!-- hidden -->
            <h1>Weather</h1>
            <p>Paris &amp; Lyon&#39;s rain</p>
            <h2>Sun</h2><p>Rare in <b>Brest</b>.</p><pre>a  b
            c</pre></body></html>
            """
        let document = try await DocumentLoader.load(URL(filePath: "/x/p.html"), kind: .html, data: Data(html.utf8))
        #expect(
            document.blocks == [
                Block(.heading(1), "Weather", firstLine: 3), Block(.paragraph, "Paris & Lyon's rain", firstLine: 4),
                Block(.heading(2), "Sun", firstLine: 5), Block(.paragraph, "Rare in Brest.", firstLine: 5),
                Block(.code, "a  b\nc", firstLine: 5),
            ])
    }

    @Test("long sections are cut within the budget, with overlap, never across headings")
    func budget() {
        let sentences = (1...60).map { "Sentence number \($0) talks about topic \($0 % 7)." }
        let blocks =
            [Block(.heading(1), "Long", firstLine: 1)] + sentences.enumerated().map { Block(.paragraph, $1, firstLine: $0 + 2) }
            + [Block(.heading(1), "Next", firstLine: 70), Block(.paragraph, "Short.", firstLine: 71)]
        let chunker = Chunker(budget: 60, overlap: 15)
        let chunks = chunker.chunks(LoadedDocument(blocks: blocks))
        #expect(chunks.count > 3)
        #expect(chunks.allSatisfy { TokenEstimate.count($0.text) <= 60 })
        #expect(chunks.last?.heading == "Next")
        #expect(chunks.last?.text == "Short.")
        let long = chunks.filter { $0.heading == "Long" }
        // Every sentence is in some chunk, and consecutive chunks share their boundary sentence.
        for sentence in sentences { #expect(long.contains { $0.text.contains(sentence) }) }
        for (a, b) in zip(long, long.dropFirst()) {
            let last = a.text.components(separatedBy: "\n\n").last!
            #expect(b.text.hasPrefix(last))
        }
    }

    @Test("a line longer than the budget is cut at sentences and words")
    func longLine() {
        let line = String(repeating: "word ", count: 300) + "End. Another sentence here."
        let chunks = Chunker(budget: 50, overlap: 0).chunks(LoadedDocument(blocks: [Block(.paragraph, line, firstLine: 1)]))
        #expect(chunks.count >= 6)
        #expect(chunks.allSatisfy { TokenEstimate.count($0.text) <= 50 && $0.location == SourceLocation(lines: 1...1) })
    }

    @Test("file kinds from names")
    func kinds() {
        #expect(FileKind.detect(URL(filePath: "/a/README")) == .text)
        #expect(FileKind.detect(URL(filePath: "/a/notes.md")) == .markdown)
        #expect(FileKind.detect(URL(filePath: "/a/x.swift")) == .code("swift"))
        #expect(FileKind.detect(URL(filePath: "/usr/share/man/man1/ls.1.gz")) == .manPage)
        #expect(FileKind.detect(URL(filePath: "/usr/share/man/man3/Dpkg::Arch.3perl.gz")) == .manPage)
        #expect(FileKind.detect(URL(filePath: "/usr/share/man/man3/history.3readline.gz")) == .manPage)
        #expect(FileKind.detect(URL(filePath: "/usr/share/man/man7/signal.7")) == .manPage)
        #expect(FileKind.detect(URL(filePath: "/a/archive.tar.gz")) == nil)
        #expect(FileKind.detect(URL(filePath: "/a/photo.png")) == .image)
        #expect(FileKind.detect(URL(filePath: "/a/scan.TIFF")) == .image)
        #expect(FileKind.detect(URL(filePath: "/a/logo.svg")) == nil)
        #expect(FileKind.detect(URL(filePath: "/a/paper.pdf")) == .pdf)
    }

    @Test(".gitignore rules: globs, folders, anchoring, negation")
    func gitignore() {
        let rules = Gitignore("# comment\n*.log\nbuild/\n/top.txt\ndocs/**/draft*.md\n!keep.log\n")
        #expect(rules.verdict("a/b/x.log", isDirectory: false) == true)
        #expect(rules.verdict("keep.log", isDirectory: false) == false)
        #expect(rules.verdict("build", isDirectory: true) == true)
        #expect(rules.verdict("build", isDirectory: false) == nil)
        #expect(rules.verdict("top.txt", isDirectory: false) == true)
        #expect(rules.verdict("sub/top.txt", isDirectory: false) == nil)
        #expect(rules.verdict("docs/a/b/draft-1.md", isDirectory: false) == true)
        #expect(rules.verdict("docs/draft.md", isDirectory: false) == true)
        #expect(rules.verdict("notes.md", isDirectory: false) == nil)
    }

    @Test("PDF through pdftotext keeps page numbers; a corrupt PDF is a clear error")
    func pdf() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "pdf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appending(path: "two.pdf")
        try Self.pdf(pages: ["Apples grow on trees.", "Bananas are yellow."]).write(to: good)
        let document = try await DocumentLoader.load(good, kind: .pdf, data: Data())
        let chunks = Chunker().chunks(document)
        #expect(chunks.count == 1)
        #expect(chunks[0].text.contains("Apples grow on trees.") && chunks[0].text.contains("Bananas are yellow."))
        #expect(chunks[0].location == SourceLocation(pages: 1...2))
        #expect(document.metadata["pages"] == "2")
        let bad = folder.appending(path: "bad.pdf")
        try Data("%PDF-1.4 this is not a PDF".utf8).write(to: bad)
        await #expect(throws: HearthError.self) { try await DocumentLoader.load(bad, kind: .pdf, data: Data()) }
    }

    /// A minimal PDF with one line of Helvetica text per page.
    static func pdf(pages: [String]) -> Data {
        var objects = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
        var kids: [String] = []
        for text in pages {
            let stream = "BT /F1 12 Tf 72 720 Td (\(text)) Tj ET"
            let contentID = objects.count + 2
            kids.append("\(objects.count + 1) 0 R")
            objects.append(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents \(contentID) 0 R /Resources << /Font << /F1 \(pages.count * 2 + 3) 0 R >> >> >>"
            )
            objects.append("<< /Length \(stream.utf8.count) >>\nstream\n\(stream)\nendstream")
        }
        objects[1] = "<< /Type /Pages /Kids [\(kids.joined(separator: " "))] /Count \(pages.count) >>"
        objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
        var out = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (i, object) in objects.enumerated() {
            offsets.append(out.utf8.count)
            out += "\(i + 1) 0 obj\n\(object)\nendobj\n"
        }
        let xref = out.utf8.count
        out += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { out += String(format: "%010d 00000 n \n", offset) }
        out += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Data(out.utf8)
    }
}
