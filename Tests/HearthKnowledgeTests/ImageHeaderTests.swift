import Foundation
import HearthCore
import Testing

@testable import HearthKnowledge

/// Image headers read before any decoding: sizes of each format, and what is refused.
struct ImageHeaderTests {
    static func png(width: UInt32, height: UInt32) -> Data {
        var data = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])
        data += Data("IHDR".utf8)
        for value in [width, height] { data += withUnsafeBytes(of: value.bigEndian) { Data($0) } }
        return data + Data([8, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func sizesAreReadFromEachFormatsHeader() throws {
        #expect(try ImageHeader(Self.png(width: 640, height: 480)) == ImageHeader.make(.png, 640, 480))
        // JPEG: an APP0 segment, then a baseline start of frame.
        let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0xE0, 0x02, 0x80])
        #expect(try ImageHeader(jpeg) == ImageHeader.make(.jpeg, 640, 480))
        let gif = Data("GIF89a".utf8) + Data([0x80, 0x02, 0xE0, 0x01])
        #expect(try ImageHeader(gif) == ImageHeader.make(.gif, 640, 480))
        // Little-endian TIFF, one IFD with ImageWidth (SHORT) and ImageLength (LONG).
        var tiff = Data([0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x02, 0x00])
        tiff += Data([0x00, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x80, 0x02, 0x00, 0x00])
        tiff += Data([0x01, 0x01, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0xE0, 0x01, 0x00, 0x00])
        #expect(try ImageHeader(tiff) == ImageHeader.make(.tiff, 640, 480))
        var bmp = Data("BM".utf8) + Data(count: 16)
        bmp += Data([0x80, 0x02, 0x00, 0x00, 0x20, 0xFE, 0xFF, 0xFF])  // height -480: rows top-down
        #expect(try ImageHeader(bmp) == ImageHeader.make(.bmp, 640, 480))
    }

    @Test func aTIFFIsAsLargeAsItsLargestPage() {
        // Two pages: 640×480, then 60,000×60,000 (3,600 megapixels) behind it.
        func page(width: UInt32, height: UInt32, next: UInt32) -> Data {
            var data = Data([0x02, 0x00])
            for (tag, value) in [(UInt16(256), width), (257, height)] {
                data += withUnsafeBytes(of: tag.littleEndian) { Data($0) } + Data([0x04, 0x00, 0x01, 0x00, 0x00, 0x00])
                data += withUnsafeBytes(of: value.littleEndian) { Data($0) }
            }
            return data + withUnsafeBytes(of: next.littleEndian) { Data($0) }
        }
        let first = page(width: 640, height: 480, next: 8 + 30)
        let tiff = Data([0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00]) + first + page(width: 60_000, height: 60_000, next: 0)
        #expect(throws: HearthError.self) { try ImageHeader(tiff) }
        let one = Data([0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00]) + page(width: 640, height: 480, next: 0)
        #expect((try? ImageHeader(one)) == ImageHeader.make(.tiff, 640, 480))
    }

    @Test func bombsTextAndCutHeadersAreRefusedWithTheReason() {
        #expect(throws: HearthError.self) { try ImageHeader(Self.png(width: 100_000, height: 100_000)) }
        #expect(throws: HearthError.self) { try ImageHeader(Self.png(width: 10_000, height: 6_000)) }  // 60 megapixels
        #expect(throws: HearthError.self) { try ImageHeader(Data("just words".utf8)) }
        #expect(throws: HearthError.self) { try ImageHeader(Self.png(width: 640, height: 480).prefix(18)) }
        #expect(throws: HearthError.self) { try ImageHeader(Self.png(width: 0, height: 480)) }
        do {
            _ = try ImageHeader(Self.png(width: 100_000, height: 100_000))
        } catch let error as HearthError {
            #expect(error.message.contains("megapixels"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func tesseractsTableBecomesLinesWithBoxesAndParagraphs() {
        let tsv = """
            level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext
            1\t1\t0\t0\t0\t0\t0\t0\t800\t300\t-1\t
            4\t1\t1\t1\t1\t0\t60\t60\t500\t40\t-1\t
            5\t1\t1\t1\t1\t1\t60\t60\t200\t40\t96.5\tHello
            5\t1\t1\t1\t1\t2\t270\t60\t290\t40\t91.5\tworld.
            4\t1\t1\t2\t1\t0\t60\t170\t400\t40\t-1\t
            5\t1\t1\t2\t1\t1\t60\t170\t400\t40\t88\tAgain
            4\t1\t1\t2\t2\t0\t60\t230\t10\t10\t-1\t
            """
        let lines = OCR.lines(fromTSV: tsv)
        #expect(lines.map(\.text) == ["Hello world.", "Again"])
        #expect(lines[0].box == OCRResult.Box(x: 60, y: 60, width: 500, height: 40))
        #expect(lines[0].confidence == 94)
        #expect(lines.map(\.paragraph) == [0, 1])
        let header = ImageHeader.make(.png, 800, 300)
        #expect(OCRResult(header: header, lines: lines).text == "Hello world.\n\nAgain")
    }
}

extension ImageHeader {
    static func make(_ format: Format, _ width: Int, _ height: Int) -> ImageHeader {
        // Decoding a PNG header is the one way in; the format is set after.
        var header = try! ImageHeader(ImageHeaderTests.png(width: UInt32(width), height: UInt32(height)))
        header.format = format
        return header
    }
}
