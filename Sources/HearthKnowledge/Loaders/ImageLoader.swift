import Foundation

/// A picture of text (a scan, a screenshot, a photographed page) through OCR: one paragraph
/// block per paragraph Tesseract found, with its page.
enum ImageLoader {
    static func load(_ data: Data) async throws -> LoadedDocument {
        let result = try await OCR.read(data)
        var blocks: [Block] = []
        var current: (page: Int, paragraph: Int, lines: [String])?
        for line in result.lines {
            if let open = current, open.page == line.page, open.paragraph == line.paragraph {
                current?.lines.append(line.text)
                continue
            }
            if let open = current { blocks.append(Block(.paragraph, open.lines.joined(separator: "\n"), page: open.page)) }
            current = (line.page, line.paragraph, [line.text])
        }
        if let open = current { blocks.append(Block(.paragraph, open.lines.joined(separator: "\n"), page: open.page)) }
        let pages = Set(result.lines.map(\.page)).count
        return LoadedDocument(
            blocks: blocks,
            metadata: ["ocr": "tesseract", "pages": "\(max(pages, 1))", "image": "\(result.header.width)×\(result.header.height)"])
    }
}
