import Foundation
import HearthCore

/// A `multipart/form-data` body, as `POST /v1/files` receives it.
struct Multipart {
    struct Part {
        var name: String
        var filename: String?
        var data: Data
    }

    var parts: [Part] = []

    /// - Throws: `HearthError.invalidRequest` when the content type has no boundary or the
    ///   body is not well formed.
    init(contentType: String?, body: Data) throws {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data"),
            let boundaryRange = contentType.range(of: "boundary=")
        else {
            throw HearthError.invalidRequest("send the file as multipart/form-data")
        }
        var boundary = String(contentType[boundaryRange.upperBound...])
        if let semicolon = boundary.firstIndex(of: ";") { boundary = String(boundary[..<semicolon]) }
        boundary = boundary.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        let delimiter = Data("--\(boundary)".utf8)
        let headerEnd = Data("\r\n\r\n".utf8)
        var position = body.startIndex
        guard let first = body.range(of: delimiter, in: position..<body.endIndex) else {
            throw HearthError.invalidRequest("the multipart body has no part")
        }
        position = first.upperBound
        while true {
            // After a delimiter: "--" ends the body, "\r\n" starts a part.
            if body[position...].starts(with: Data("--".utf8)) { break }
            guard body[position...].starts(with: Data("\r\n".utf8)) else { throw HearthError.invalidRequest("malformed multipart body") }
            position += 2
            guard let headersRange = body.range(of: headerEnd, in: position..<body.endIndex) else {
                throw HearthError.invalidRequest("malformed multipart part headers")
            }
            let headers = String(decoding: body[position..<headersRange.lowerBound], as: UTF8.self)
            let contentStart = headersRange.upperBound
            guard let next = body.range(of: Data("\r\n".utf8) + delimiter, in: contentStart..<body.endIndex) else {
                throw HearthError.invalidRequest("the multipart body ends in the middle of a part")
            }
            var name = ""
            var filename: String?
            for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition") {
                name = Self.parameter("name", in: line) ?? ""
                filename = Self.parameter("filename", in: line)
            }
            parts.append(Part(name: name, filename: filename, data: Data(body[contentStart..<next.lowerBound])))
            position = next.upperBound
        }
    }

    private static func parameter(_ key: String, in line: Substring) -> String? {
        for item in line.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) where item.hasPrefix("\(key)=") {
            return String(item.dropFirst(key.count + 1)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }

    func part(_ name: String) -> Part? { parts.first { $0.name == name } }
}
