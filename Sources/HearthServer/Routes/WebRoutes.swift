import HTTPTypes
import HearthCore
import Hummingbird

/// The web UI: `/` is its page, `/ui/…` its scripts, styles and libraries, all from the
/// binary (`WebAssets`). Anyone may fetch them (the page signs in through the API); every
/// answer forbids inline script, framing and other origins.
struct WebRoutes {
    /// What a page of the UI may load and run: its own files only, no inline script or style,
    /// no plugins, no framing, forms and requests to this server only.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self'; "
        + "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

    static var referrerPolicy: HTTPField.Name { HTTPField.Name("Referrer-Policy")! }
    static var frameOptions: HTTPField.Name { HTTPField.Name("X-Frame-Options")! }

    func add(to router: Router<HearthRequestContext>) {
        router.get("/") { request, _ in try Self.answer("/ui/index.html", request) }
        router.get("/ui/**") { request, _ in try Self.answer(request.uri.path, request) }
    }

    /// The file at `path`, gzipped when the client takes gzip, 304 when it has it already.
    /// - Throws: `HearthError.notFound` for a path the UI has no file at.
    static func answer(_ path: String, _ request: Request) throws -> Response {
        guard let file = WebAssets.files[path] else { throw HearthError(.notFound, "no such page: \(path)") }
        var headers: HTTPFields = [
            .contentType: file.contentType, .eTag: file.etag, .cacheControl: "no-cache", .vary: "Accept-Encoding",
            .contentSecurityPolicy: contentSecurityPolicy, .xContentTypeOptions: "nosniff", Self.referrerPolicy: "no-referrer",
            Self.frameOptions: "DENY",
        ]
        if request.headers[.ifNoneMatch]?.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == file.etag })
            == true
        {
            return Response(status: .notModified, headers: headers)
        }
        let gzip = request.headers[.acceptEncoding]?.lowercased().contains("gzip") == true
        if gzip { headers[.contentEncoding] = "gzip" }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: gzip ? file.gzip : file.plain))
    }
}
