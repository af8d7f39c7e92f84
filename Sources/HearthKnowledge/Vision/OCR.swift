import Foundation
import HearthCore

/// Text read from an image by Tesseract (Debian's `tesseract-ocr`), line by line, with where
/// each line is on its page and how sure Tesseract was.
public struct OCRResult: Sendable, Equatable {
    /// A rectangle in pixels from the image's top left corner.
    public struct Box: Sendable, Equatable, Codable {
        public var x: Int
        public var y: Int
        public var width: Int
        public var height: Int
    }

    /// One line of text.
    public struct Line: Sendable, Equatable {
        /// 1-based page (a multi-page TIFF has several).
        public var page: Int
        /// Which paragraph of its page it belongs to.
        public var paragraph: Int
        public var text: String
        public var box: Box
        /// Tesseract's mean word confidence, 0–100.
        public var confidence: Double
    }

    public var header: ImageHeader
    public var lines: [Line]

    /// The text: lines joined, paragraphs apart by a blank line, pages by a form feed.
    public var text: String {
        var text = ""
        var previous: Line?
        for line in lines {
            if let previous {
                text += previous.page != line.page ? "\n\u{0C}" : previous.paragraph != line.paragraph ? "\n\n" : "\n"
            }
            text += line.text
            previous = line
        }
        return text
    }
}

/// Reads the text in images with the `tesseract` command.
public enum OCR {
    /// The command's Debian package, for the error when it is missing.
    static let package = "tesseract-ocr"
    /// Most address space Tesseract may use, in bytes.
    static let mostMemory = 3 << 30

    /// Reads `data`, an image file's bytes.
    /// - Throws: `HearthError.invalidRequest` for data that is not an image Hearth reads, an
    ///   image too large to decode (see `ImageHeader`), or one Tesseract cannot read.
    public static func read(_ data: Data) async throws -> OCRResult {
        let header = try ImageHeader(data)
        let folder = FileManager.default.temporaryDirectory.appending(path: "hearth-ocr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "image.\(header.format.rawValue)")
        try data.write(to: file)
        // One thread: Tesseract's OpenMP team would compete with the models' for the cores. Its
        // memory is capped (`prlimit`), in case an image decodes to more than its header said
        // (a GIF frame larger than its screen).
        let tsv = try await ExternalTool.run(
            "prlimit", ["--as=\(mostMemory)", "--", "tesseract", file.path, "stdout", "tsv"], environment: ["OMP_THREAD_LIMIT": "1"],
            package: package)
        return OCRResult(header: header, lines: lines(fromTSV: String(decoding: tsv, as: UTF8.self)))
    }

    /// Lines from Tesseract's TSV: a line row (level 4) gives the box, its word rows
    /// (level 5) the text and confidences. Lines without words are left out.
    static func lines(fromTSV tsv: String) -> [OCRResult.Line] {
        var lines: [OCRResult.Line] = []
        var confidences: [Double] = []
        var paragraphs: [String: Int] = [:]
        func close() {
            guard !lines.isEmpty else { return }
            lines[lines.count - 1].confidence = confidences.isEmpty ? 0 : confidences.reduce(0, +) / Double(confidences.count)
        }
        for row in tsv.split(separator: "\n").dropFirst() {
            let fields = row.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 12, let level = Int(fields[0]), let page = Int(fields[1]) else { continue }
            let numbers = fields[6..<10].compactMap { Int($0) }
            guard numbers.count == 4 else { continue }
            let box = OCRResult.Box(x: numbers[0], y: numbers[1], width: numbers[2], height: numbers[3])
            if level == 4 {
                close()
                if lines.last?.text.isEmpty == true { lines.removeLast() }
                let key = "\(page)-\(fields[2])-\(fields[3])"
                let paragraph = paragraphs[key] ?? paragraphs.count
                paragraphs[key] = paragraph
                lines.append(OCRResult.Line(page: page, paragraph: paragraph, text: "", box: box, confidence: 0))
                confidences = []
            } else if level == 5, !lines.isEmpty {
                let word = fields[11...].joined(separator: "\t").trimmingCharacters(in: .whitespaces)
                guard !word.isEmpty else { continue }
                lines[lines.count - 1].text += (lines[lines.count - 1].text.isEmpty ? "" : " ") + word
                if let confidence = Double(fields[10]), confidence >= 0 { confidences.append(confidence) }
            }
        }
        close()
        if lines.last?.text.isEmpty == true { lines.removeLast() }
        return lines
    }
}
