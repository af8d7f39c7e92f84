import Foundation
import HearthCore

/// What an image file says of itself before it is decoded: its format and size in pixels,
/// read from the header alone (PNG, JPEG, GIF, BMP, TIFF, WebP). OCR refuses an image whose
/// header is not one of these, and one so large that decoding it would exhaust memory (a
/// small file can claim a huge canvas: a decompression bomb).
public struct ImageHeader: Sendable, Equatable {
    public enum Format: String, Sendable, Equatable {
        case png, jpeg, gif, bmp, tiff, webp
    }

    public var format: Format
    public var width: Int
    public var height: Int

    /// Most pixels Hearth decodes in one image (about 200 MB as 32-bit pixels).
    public static let mostPixels = 50_000_000

    /// Reads the header of `data`.
    /// - Throws: `HearthError.invalidRequest` for data that is not an image of a known
    ///   format, a header cut short, or an image larger than `mostPixels`.
    public init(_ data: Data) throws {
        // Metadata (EXIF, ICC, XMP) may come before a JPEG's frame header: read enough of it.
        let bytes = [UInt8](data.prefix(16 << 20))
        guard let (format, width, height) = Self.read(bytes) else {
            throw HearthError.invalidRequest("not an image Hearth reads (PNG, JPEG, TIFF, GIF, BMP or WebP), or its header is damaged")
        }
        guard width > 0, height > 0 else { throw HearthError.invalidRequest("the image header gives no size (\(width)×\(height))") }
        guard width <= 65_535, height <= 65_535, width * height <= Self.mostPixels else {
            throw HearthError.invalidRequest(
                "the image claims \(width)×\(height) pixels, more than Hearth decodes (\(Self.mostPixels / 1_000_000) megapixels)")
        }
        (self.format, self.width, self.height) = (format, width, height)
    }

    private static func read(_ b: [UInt8]) -> (Format, Int, Int)? {
        func be16(_ i: Int) -> Int? { i + 2 <= b.count ? Int(b[i]) << 8 | Int(b[i + 1]) : nil }
        func le16(_ i: Int) -> Int? { i + 2 <= b.count ? Int(b[i + 1]) << 8 | Int(b[i]) : nil }
        func be32(_ i: Int) -> Int? { i + 4 <= b.count ? (be16(i)! << 16 | be16(i + 2)!) : nil }
        func le32(_ i: Int) -> Int? { i + 4 <= b.count ? (le16(i + 2)! << 16 | le16(i)!) : nil }
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            guard let width = be32(16), let height = be32(20) else { return nil }
            return (.png, width, height)
        }
        if b.starts(with: [0xFF, 0xD8]) {
            // Markers until a start of frame (SOF0–SOF15 but DHT, JPG and DAC).
            var i = 2
            while i + 4 <= b.count, b[i] == 0xFF {
                let marker = b[i + 1]
                if marker == 0xFF {
                    i += 1
                    continue
                }
                guard let length = be16(i + 2) else { return nil }
                if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) {
                    guard let height = be16(i + 5), let width = be16(i + 7) else { return nil }
                    return (.jpeg, width, height)
                }
                i += 2 + length
            }
            return nil
        }
        if b.starts(with: Array("GIF8".utf8)) {
            guard let width = le16(6), let height = le16(8) else { return nil }
            return (.gif, width, height)
        }
        if b.starts(with: Array("BM".utf8)) {
            guard let width = le32(18), let raw = le32(22) else { return nil }
            let height = raw > Int(Int32.max) ? (1 << 32) - raw : raw  // negative: rows top-down
            return (.bmp, width, height)
        }
        if b.starts(with: Array("RIFF".utf8)), b.count >= 30, Array(b[8..<12]) == Array("WEBP".utf8) {
            switch String(decoding: b[12..<16], as: UTF8.self) {
            case "VP8 ":
                guard let width = le16(26), let height = le16(28) else { return nil }
                return (.webp, width & 0x3FFF, height & 0x3FFF)
            case "VP8L":
                guard b.count >= 25 else { return nil }
                let bits = Int(b[21]) | Int(b[22]) << 8 | Int(b[23]) << 16 | Int(b[24]) << 24
                return (.webp, (bits & 0x3FFF) + 1, (bits >> 14 & 0x3FFF) + 1)
            case "VP8X":
                let width = (Int(b[24]) | Int(b[25]) << 8 | Int(b[26]) << 16) + 1
                let height = (Int(b[27]) | Int(b[28]) << 8 | Int(b[29]) << 16) + 1
                return (.webp, width, height)
            default: return nil
            }
        }
        if b.starts(with: [0x49, 0x49, 0x2A, 0x00]) || b.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) {
            return tiff(b, little: b[0] == 0x49)
        }
        return nil
    }

    /// Most pages of a TIFF Hearth reads.
    static let mostPages = 100

    /// A TIFF's size: its largest page's width and height (ImageWidth 256, ImageLength 257 of
    /// each IFD), so that a small first page cannot hide a huge second one; nil when a page
    /// has no size or there are more than `mostPages`.
    private static func tiff(_ b: [UInt8], little: Bool) -> (Format, Int, Int)? {
        func u16(_ i: Int) -> Int? {
            guard i + 2 <= b.count else { return nil }
            return little ? Int(b[i]) | Int(b[i + 1]) << 8 : Int(b[i]) << 8 | Int(b[i + 1])
        }
        func u32(_ i: Int) -> Int? {
            guard let low = u16(little ? i : i + 2), let high = u16(little ? i + 2 : i) else { return nil }
            return high << 16 | low
        }
        var largest = (width: 0, height: 0)
        var next = u32(4)
        var pages = 0
        while let ifd = next, ifd != 0 {
            pages += 1
            guard pages <= mostPages, let count = u16(ifd) else { return nil }
            var width: Int?
            var height: Int?
            for entry in 0..<min(count, 512) {
                let at = ifd + 2 + entry * 12
                guard let tag = u16(at), let type = u16(at + 2) else { return nil }
                let value = type == 3 ? u16(at + 8) : u32(at + 8)
                if tag == 256 { width = value }
                if tag == 257 { height = value }
            }
            guard let width, let height else { return nil }
            if width * height > largest.width * largest.height { largest = (width, height) }
            next = u32(ifd + 2 + count * 12)
        }
        guard pages > 0 else { return nil }
        return (.tiff, largest.width, largest.height)
    }
}
