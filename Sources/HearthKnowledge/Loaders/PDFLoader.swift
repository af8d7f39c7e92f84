import Foundation

/// PDF through poppler's `pdftotext`: one paragraph block per blank-line-separated run of
/// text, each with its page number. A scanned PDF (pages without text) is rendered by
/// `pdftoppm` and read by OCR, page by page.
enum PDFLoader {
    /// Most pages of a scanned PDF read by OCR.
    static let mostScannedPages = 100

    static func load(_ url: URL) async throws -> LoadedDocument {
        let data = try await ExternalTool.run("pdftotext", ["-enc", "UTF-8", url.path, "-"], package: "poppler-utils")
        let text = String(decoding: data, as: UTF8.self)
        if text.allSatisfy({ $0.isWhitespace || $0 == "\u{0C}" }) { return try await scanned(url) }
        let pages = text.split(separator: "\u{0C}", omittingEmptySubsequences: false)
        var blocks: [Block] = []
        for (number, page) in pages.enumerated() {
            blocks += paragraphs(page, firstLine: 1, page: number + 1).map { block in
                var block = block
                block.firstLine = nil
                return block
            }
        }
        let count = pages.last?.allSatisfy(\.isWhitespace) == true ? pages.count - 1 : pages.count
        return LoadedDocument(blocks: blocks, metadata: ["pages": "\(count)"])
    }

    /// Each page rendered at 200 dots per inch (5,000 pixels at most) and read by OCR.
    private static func scanned(_ url: URL) async throws -> LoadedDocument {
        let folder = FileManager.default.temporaryDirectory.appending(path: "hearth-scan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        // 200 dots per inch, the longer side at most 5,000 pixels whatever size a page claims.
        _ = try await ExternalTool.run(
            "pdftoppm",
            [
                "-r", "200", "-scale-to", "5000", "-gray", "-png", "-l", "\(mostScannedPages)", url.path,
                folder.appending(path: "page").path,
            ],
            package: "poppler-utils")
        let images = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".png") }.sorted {
            $0.count == $1.count ? $0 < $1 : $0.count < $1.count
        }
        var blocks: [Block] = []
        for (number, name) in images.enumerated() {
            let page = try await ImageLoader.load(try Data(contentsOf: folder.appending(path: name)))
            blocks += page.blocks.map { block in
                var block = block
                block.page = number + 1
                return block
            }
        }
        return LoadedDocument(blocks: blocks, metadata: ["pages": "\(images.count)", "ocr": "tesseract"])
    }
}
