import AsyncHTTPClient
import Hummingbird
import NIOCore
import NIOHTTP1

/// HummingbirdTesting's live client, with room for a loaded machine: that client gives each
/// request 20 s, which a generation in the test process can exceed while the suite's other
/// engines take their turns on the process's one compute pool. Same call shape; five minutes
/// a request.
struct PatientClient {
    let port: Int

    struct Response {
        let status: HTTPResponse.Status
        let body: ByteBuffer
    }

    @discardableResult
    func execute<Result>(
        uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil,
        _ check: (Response) async throws -> Result
    ) async throws -> Result {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(uri)")
        request.method = HTTPMethod(rawValue: method.rawValue)
        for field in headers { request.headers.add(name: field.name.rawName, value: field.value) }
        if let body { request.body = .bytes(body) }
        let response = try await HTTPClient.shared.execute(request, deadline: .now() + .minutes(5))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return try await check(Response(status: HTTPResponse.Status(code: Int(response.status.code)), body: bytes))
    }
}
