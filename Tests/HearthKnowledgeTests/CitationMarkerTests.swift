import Testing

@testable import HearthKnowledge

/// The [n] markers added to an answer's sentences, whole or streamed in pieces.
@Suite("Citation markers")
struct CitationMarkerTests {
    let sources = [
        "SIGPIPE: the default action is to terminate the process when it writes to a pipe with no readers.",
        "The lamp of a lighthouse is trimmed every evening and its lens is polished.",
    ]

    func marked(_ pieces: [String]) -> String {
        var marker = CitationMarker(sources: sources)
        return pieces.map { marker.feed($0) }.joined() + marker.finish()
    }

    func marked(_ text: String) -> String {
        let whole = marked([text])
        #expect(marked(text.map(String.init)) == whole, "a character at a time gives the same text")
        return whole
    }

    @Test("a sentence wrapped over lines gets one marker, at its end")
    func wrapped() {
        let text = "The default action of SIGPIPE is to\nterminate the process at once.\n\nThe lighthouse lamp is\ntrimmed every evening.\n"
        #expect(
            marked(text)
                == "The default action of SIGPIPE is to\nterminate the process at once [1].\n\nThe lighthouse lamp is\ntrimmed every evening [2].\n"
        )
    }

    @Test("list items and sentences are marked one by one; cited ones are left alone")
    func items() {
        let text = "Two facts:\n- the process will terminate on SIGPIPE\n- the lens is polished [2]\n"
        #expect(marked(text) == "Two facts:\n- the process will terminate on SIGPIPE [1]\n- the lens is polished [2]\n")
    }

    @Test("a number no source has is dropped; code is never marked")
    func invalidAndCode() {
        #expect(marked("The lamp is trimmed every evening [7].") == "The lamp is trimmed every evening [2].")
        #expect(marked("[9] nothing alike here.") == "nothing alike here.")
        #expect(marked("Nothing [0] alike [3] here.") == "Nothing alike here.")
        let code = "```\nkill -PIPE terminates the process\n```\n"
        #expect(marked(code) == code)
    }
}
