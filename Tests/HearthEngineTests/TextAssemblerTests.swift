import Testing

@testable import HearthEngine

@Suite struct TextAssemblerTests {
    @Test func passesTextThroughWithoutStops() {
        var assembler = TextAssembler(stops: [])
        #expect(assembler.append(Array("Hello".utf8)) == ("Hello", false))
        #expect(assembler.flush() == "")
    }

    @Test func holdsBackSplitUTF8Characters() {
        var assembler = TextAssembler(stops: [])
        let bytes = Array("é€".utf8)  // 2 + 3 bytes
        #expect(assembler.append([bytes[0]]).text == "")
        #expect(assembler.append([bytes[1], bytes[2]]).text == "é")
        #expect(assembler.append([bytes[3], bytes[4]]).text == "€")
    }

    @Test func cutsAtAStopStringSpreadOverPieces() {
        var assembler = TextAssembler(stops: ["END"])
        #expect(assembler.append(Array("one E".utf8)) == ("one ", false))
        #expect(assembler.append(Array("N".utf8)) == ("", false))
        #expect(assembler.append(Array("D two".utf8)) == ("", true))
        #expect(assembler.flush() == "")
    }

    @Test func releasesHeldTextThatTurnsOutNotToBeAStop() {
        var assembler = TextAssembler(stops: ["END"])
        #expect(assembler.append(Array("x EN".utf8)) == ("x ", false))
        #expect(assembler.append(Array("Y".utf8)) == ("ENY", false))
        #expect(assembler.append(Array(" E".utf8)) == (" ", false))
        #expect(assembler.flush() == "E")
    }

    @Test func stopsAtTheEarliestOfSeveralStops() {
        var assembler = TextAssembler(stops: ["b", "a"])
        #expect(assembler.append(Array("xxaxb".utf8)) == ("xx", true))
    }
}
