import Foundation
import HearthCore

/// What kind of file a path is, from its name (and, for text, its bytes).
public enum FileKind: Sendable, Equatable {
    case text, markdown, html, pdf, manPage
    /// A picture whose text is read by OCR.
    case image
    /// Source code in the named language.
    case code(String)

    static let codeExtensions: [String: String] = [
        "swift": "swift", "py": "python", "c": "c", "h": "c", "cc": "c++", "cpp": "c++", "hpp": "c++", "m": "objective-c",
        "js": "javascript", "mjs": "javascript", "ts": "typescript", "tsx": "typescript", "jsx": "javascript", "go": "go",
        "rs": "rust", "java": "java", "kt": "kotlin", "rb": "ruby", "php": "php", "sh": "shell", "bash": "shell", "zsh": "shell",
        "pl": "perl", "lua": "lua", "sql": "sql", "cs": "c#", "scala": "scala", "r": "r", "json": "json", "yaml": "yaml",
        "yml": "yaml", "toml": "toml", "xml": "xml", "css": "css", "make": "make", "cmake": "cmake", "el": "lisp", "hs": "haskell",
    ]
    static let textExtensions: Set<String> = ["txt", "text", "rst", "log", "csv", "tsv", "ini", "cfg", "conf", "org", "tex", ""]
    static let textNames: Set<String> = [
        "readme", "license", "copying", "authors", "changelog", "news", "todo", "makefile", "dockerfile", "copyright",
    ]

    /// The kind for a file name, or nil when Hearth has no loader for it.
    public static func detect(_ url: URL) -> FileKind? {
        let ext = url.pathExtension.lowercased()
        if ext == "gz" {
            let inner = url.deletingPathExtension()
            if isManSection(inner.pathExtension.lowercased()), url.pathComponents.contains(where: { $0.hasPrefix("man") }) {
                return .manPage
            }
            return nil
        }
        if isManSection(ext), url.deletingLastPathComponent().lastPathComponent.hasPrefix("man") { return .manPage }
        switch ext {
        case "md", "markdown", "mdown": return .markdown
        case "html", "htm", "xhtml": return .html
        case "pdf": return .pdf
        case "png", "jpg", "jpeg", "tif", "tiff", "gif", "bmp", "webp": return .image
        default:
            if let language = codeExtensions[ext] { return .code(language) }
            if textNames.contains(url.deletingPathExtension().lastPathComponent.lowercased()) { return .text }
            return textExtensions.contains(ext) ? .text : nil
        }
    }

    /// A man section: a digit or `n`, then letters of a sub-section (`3`, `3ssl`, `3perl`, `3readline`).
    private static func isManSection(_ ext: String) -> Bool {
        guard let first = ext.first, "123456789n".contains(first) else { return false }
        return ext.count <= 12 && ext.dropFirst().allSatisfy { $0.isLetter || $0.isNumber }
    }
}

/// Reads a file into blocks with the loader its kind calls for.
public enum DocumentLoader {
    /// - Throws: `HearthError.invalidRequest` naming the problem: binary content, invalid
    ///   text, a converter that failed (a corrupt PDF).
    public static func load(_ url: URL, kind: FileKind, data: Data) async throws -> LoadedDocument {
        switch kind {
        case .pdf: return try await PDFLoader.load(url)
        case .manPage: return try await ManLoader.load(url)
        case .markdown: return LoadedDocument(blocks: MarkdownLoader.blocks(try text(data)))
        case .text: return LoadedDocument(blocks: MarkdownLoader.blocks(try text(data), headings: false))
        case .html: return LoadedDocument(blocks: HTMLLoader.blocks(try text(data)))
        case .image: return try await ImageLoader.load(data)
        case .code(let language):
            let blocks = paragraphs(try text(data)[...], firstLine: 1, kind: .code)
            return LoadedDocument(blocks: blocks, metadata: ["language": language])
        }
    }

    /// Loads text that arrived without a path (an upload), by its file name.
    public static func load(named name: String, data: Data) async throws -> LoadedDocument {
        let kind = FileKind.detect(URL(filePath: name)) ?? .text
        switch kind {
        case .pdf, .manPage:
            let folder = FileManager.default.temporaryDirectory.appending(path: "hearth-upload-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appending(path: URL(filePath: name).lastPathComponent)
            try data.write(to: file)
            return try await load(file, kind: kind, data: data)
        default:
            return try await load(URL(filePath: name), kind: kind, data: data)
        }
    }

    /// UTF-8 text, refusing binary content.
    static func text(_ data: Data) throws -> String {
        if data.prefix(8192).contains(0) { throw HearthError.invalidRequest("binary content (it holds NUL bytes)") }
        guard let text = String(data: data, encoding: .utf8) ?? String(data: data, encoding: .isoLatin1) else {
            throw HearthError.invalidRequest("not text in UTF-8")
        }
        return text.replacingOccurrences(of: "\r\n", with: "\n")
    }
}
