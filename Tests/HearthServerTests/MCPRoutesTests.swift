import Foundation
import HTTPTypes
import HearthCore
import HearthProviders
import HearthServer
import HearthServices
import HearthTesting
import Hummingbird
import HummingbirdTesting
import Testing

/// `/mcp` over the routes: JSON-RPC in, JSON-RPC out, with the caller's rights, and a page of
/// another site in a browser cannot drive an open loopback server (DNS rebinding).
struct MCPRoutesTests {
    func app() -> some ApplicationProtocol {
        let provider = ScriptedProvider()
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model)
        return Application(router: HTTPServer.router(services: Services(pipeline: pipeline), metrics: Metrics(), maxBodyBytes: 1 << 20))
    }

    static let headers: HTTPFields = [.contentType: "application/json", .accept: "application/json, text/event-stream"]

    func post(_ client: some TestClientProtocol, _ body: String, headers: HTTPFields = headers) async throws -> (
        HTTPResponse.Status, String
    ) {
        try await client.execute(uri: "/mcp", method: .post, headers: headers, body: ByteBuffer(string: body)) {
            ($0.status, String(buffer: $0.body))
        }
    }

    @Test func toolsAreListedAndCalled() async throws {
        try await app().test(.router) { client in
            let (status, list) = try await post(client, #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
            #expect(status == .ok)
            #expect(list.contains(#""name":"calculate""#))
            let (_, called) = try await post(
                client, #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"calculate","arguments":{"expression":"2+3"}}}"#)
            #expect(called.contains(#""text":"5""#), "\(called)")
            #expect(called.contains(#""isError":false"#), "\(called)")
            let (_, unknown) = try await post(
                client, #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nope","arguments":{}}}"#)
            #expect(unknown.contains("-32602"), "\(unknown)")
            let (accepted, _) = try await post(client, #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
            #expect(accepted == .accepted)
        }
    }

    @Test func aBrowserPageOfAnotherSiteIsRefused() async throws {
        try await app().test(.router) { client in
            var headers = Self.headers
            headers[.origin] = "http://evil.example"
            let (status, _) = try await post(client, #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#, headers: headers)
            #expect(status == .forbidden)
        }
    }
}
