import Foundation
import HearthCore
import HearthKnowledge
import HearthServices
import HearthWire
import Hummingbird
import NIOCore

/// `POST /hearth/ocr`: the text in an image, sent as the body (any image content type) or as
/// the `file` part of a multipart form.
struct VisionRoutes: Sendable {
    let vision: VisionService
    let maxFileBytes: Int

    func add(to router: Router<HearthRequestContext>) {
        router.post("/hearth/ocr") { request, context in
            let contentType = request.headers[.contentType]
            var data = Data(buffer: try await request.body.collect(upTo: maxFileBytes))
            if contentType?.lowercased().hasPrefix("multipart/form-data") == true {
                let form = try Multipart(contentType: contentType, body: data)
                guard let part = form.part("file") else { throw HearthError.invalidRequest("the form has no 'file' part", field: "file") }
                data = part.data
            }
            guard !data.isEmpty else { throw HearthError.invalidRequest("send an image as the body, or as the 'file' part of a form") }
            return try json(Self.wire(try await vision.read(data, by: context.principal)))
        }
    }

    static func wire(_ result: OCRResult) -> VisionWire.OCRResponse {
        VisionWire.OCRResponse(
            text: result.text, format: result.header.format.rawValue, width: result.header.width, height: result.header.height,
            lines: result.lines.map {
                VisionWire.Line(
                    page: $0.page, text: $0.text, box: .init(x: $0.box.x, y: $0.box.y, width: $0.box.width, height: $0.box.height),
                    confidence: ($0.confidence * 10).rounded() / 10)
            })
    }
}
