import HearthCore

/// A structural piece of a loaded document: a heading, a paragraph or a code block, with
/// the source lines or page it came from.
public struct Block: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A heading of level 1 (outermost) to 6.
        case heading(Int)
        case paragraph
        case code
    }

    public var kind: Kind
    public var text: String
    /// 1-based source line of each line of `text`, when known.
    public var firstLine: Int?
    public var page: Int?

    public init(_ kind: Kind, _ text: String, firstLine: Int? = nil, page: Int? = nil) {
        self.kind = kind
        self.text = text
        self.firstLine = firstLine
        self.page = page
    }
}

/// What a loader makes of a file.
public struct LoadedDocument: Sendable, Equatable {
    public var blocks: [Block]
    /// Set by loaders that know (a man page's name, a PDF's page count).
    public var metadata: [String: String]

    public init(blocks: [Block], metadata: [String: String] = [:]) {
        self.blocks = blocks
        self.metadata = metadata
    }
}

/// Splits text into blocks at blank lines, numbering lines from `firstLine`.
func paragraphs(_ text: Substring, firstLine: Int, kind: Block.Kind = .paragraph, page: Int? = nil) -> [Block] {
    var blocks: [Block] = []
    var current: [Substring] = []
    var start = firstLine
    for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        if line.allSatisfy(\.isWhitespace) {
            if !current.isEmpty { blocks.append(Block(kind, current.joined(separator: "\n"), firstLine: start, page: page)) }
            current = []
            start = firstLine + offset + 1
        } else {
            if current.isEmpty { start = firstLine + offset }
            current.append(line)
        }
    }
    if !current.isEmpty { blocks.append(Block(kind, current.joined(separator: "\n"), firstLine: start, page: page)) }
    return blocks
}
