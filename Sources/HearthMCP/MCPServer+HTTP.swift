import Foundation
import MCP

extension MCPServer {
    /// One request of MCP's Streamable HTTP transport, stateless: every POST is answered with
    /// JSON (no session, no server-sent stream; GET and DELETE answer 405, which clients
    /// expect of such a server). Each request gets a server of its own acting for its
    /// caller, so no state is shared between callers. (Pages of other sites are refused
    /// before: the server's authentication checks `Origin` on every route.)
    public func respond(to request: HTTPExchange.Request, version: String) async -> HTTPExchange.Response {
        let response = await respond(
            to: HTTPRequest(method: request.method, headers: request.headers, body: request.body, path: "/mcp"), version: version)
        return HTTPExchange.Response(status: response.statusCode, headers: response.headers, body: response.bodyData)
    }

    func respond(to request: HTTPRequest, version: String) async -> HTTPResponse {
        let server = await make(version: version)
        let transport = StatelessHTTPServerTransport(
            validationPipeline: StandardValidationPipeline(validators: [
                AcceptHeaderValidator(mode: .jsonOnly), ContentTypeValidator(), ProtocolVersionValidator(),
            ]))
        do {
            try await server.start(transport: transport)
        } catch {
            return .error(statusCode: 500, .internalError("the MCP server did not start"))
        }
        let response = await transport.handleRequest(request)
        await server.stop()
        return response
    }
}

/// An HTTP request and its answer without any server framework's types, for the route that
/// carries `/mcp`.
public enum HTTPExchange {
    public struct Request: Sendable {
        public var method: String
        public var headers: [String: String]
        public var body: Data

        public init(method: String, headers: [String: String], body: Data) {
            self.method = method
            self.headers = headers
            self.body = body
        }
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        /// None for 202 Accepted (a notification).
        public var body: Data?
    }
}
