import Foundation
import HTTPTypes
import HearthCore
import HearthMCP
import HearthServices
import Hummingbird

/// `/mcp`: Hearth as an MCP server over Streamable HTTP, acting for the caller the request's
/// key names (`tools/list` shows what that caller may run).
struct MCPRoutes: Sendable {
    let services: Services
    let maxBodyBytes: Int

    func add(to router: Router<HearthRequestContext>) {
        for method in [HTTPRequest.Method.post, .get, .delete] {
            router.on("/mcp", method: method) { request, context in
                let body = try await request.body.collect(upTo: maxBodyBytes)
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.canonicalName] = field.value }
                let answer = await MCPServer(services: services, principal: context.principal).respond(
                    to: HTTPExchange.Request(method: request.method.rawValue, headers: headers, body: Data(buffer: body)),
                    version: Configuration.version)
                var fields = HTTPFields()
                for (name, value) in answer.headers {
                    if let name = HTTPField.Name(name) { fields[name] = value }
                }
                return Response(
                    status: HTTPResponse.Status(code: answer.status), headers: fields,
                    body: answer.body.map { ResponseBody(byteBuffer: ByteBuffer(bytes: $0)) } ?? ResponseBody())
            }
        }
    }
}
