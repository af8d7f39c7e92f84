import Foundation

/// `POST /hearth/ocr` on the wire.
public enum VisionWire {
    /// The text read from an image, line by line with boxes in pixels (from the top left).
    public struct OCRResponse: Codable, Sendable, Equatable {
        public var text: String
        /// `png`, `jpeg`, `tiff`, `gif`, `bmp` or `webp`.
        public var format: String
        public var width: Int
        public var height: Int
        public var lines: [Line]

        public init(text: String, format: String, width: Int, height: Int, lines: [Line]) {
            self.text = text
            self.format = format
            self.width = width
            self.height = height
            self.lines = lines
        }
    }

    public struct Line: Codable, Sendable, Equatable {
        public var page: Int
        public var text: String
        public var box: Box
        /// Tesseract's mean word confidence, 0–100.
        public var confidence: Double

        public init(page: Int, text: String, box: Box, confidence: Double) {
            self.page = page
            self.text = text
            self.box = box
            self.confidence = confidence
        }
    }

    public struct Box: Codable, Sendable, Equatable {
        public var x: Int
        public var y: Int
        public var width: Int
        public var height: Int

        public init(x: Int, y: Int, width: Int, height: Int) {
            self.x = x
            self.y = y
            self.width = width
            self.height = height
        }
    }
}
