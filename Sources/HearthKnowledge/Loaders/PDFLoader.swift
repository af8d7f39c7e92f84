import Foundation

/// PDF through poppler's `pdftotext`: one paragraph block per blank-line-separated run of
/// text, each with its page number.
enum PDFLoader {
    static func load(_ url: URL) async throws -> LoadedDocument {
        let data = try await ExternalTool.run("pdftotext", ["-enc", "UTF-8", url.path, "-"], package: "poppler-utils")
        let pages = String(decoding: data, as: UTF8.self).split(separator: "\u{0C}", omittingEmptySubsequences: false)
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
}
