import Foundation
import HearthWire
import Hummingbird

extension Request {
    /// The JSON body as `T`, read up to `limit` bytes.
    /// - Throws: Hummingbird's 413 when the body is larger; `HearthError.invalidRequest`
    ///   (naming the field) when it is not valid JSON of that shape.
    func decode<T: Decodable>(_ type: T.Type, upTo limit: Int) async throws -> T {
        try WireDecoder.decode(type, from: Data(buffer: try await body.collect(upTo: limit)))
    }
}

extension Parameters {
    /// The path parameter `name`, percent-decoded (a model path sent as one segment).
    /// - Throws: when the route has no such parameter.
    func segment(_ name: String) throws -> String {
        let raw = try require(name)
        return raw.removingPercentEncoding ?? raw
    }
}
