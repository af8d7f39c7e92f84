import Foundation
import NIOCore

/// The web UI's files, carried in the binary: `web/` and the Debian JavaScript libraries of
/// `web/vendor.txt`, packed at build time by the WebBundle plugin (`WebAssets+Packed.swift`),
/// each as it is and gzipped.
enum WebAssets {
    /// One file as the generator writes it (base64).
    struct Packed {
        let etag: String
        let plain: String
        let gzip: String
    }

    /// One file, ready to send.
    struct File: Sendable {
        let contentType: String
        /// Quoted, as the `ETag` header carries it.
        let etag: String
        let plain: ByteBuffer
        let gzip: ByteBuffer
    }

    /// The files by URL path (`/ui/app.js`), decoded once.
    static let files: [String: File] = packed.reduce(into: [:]) { files, entry in
        let (path, packed) = entry
        guard let plain = Data(base64Encoded: packed.plain), let gzip = Data(base64Encoded: packed.gzip) else { return }
        files[path] = File(
            contentType: contentType(of: path), etag: "\"\(packed.etag)\"", plain: ByteBuffer(bytes: plain), gzip: ByteBuffer(bytes: gzip))
    }

    /// The media type a path's extension stands for.
    static func contentType(of path: String) -> String {
        switch path.split(separator: ".").last ?? "" {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "json": "application/json"
        case "woff2": "font/woff2"
        case "txt", "md": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }
}
