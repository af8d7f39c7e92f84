import Foundation
import HearthCore
import HearthMCP
import HearthProviders
import HearthServer
import HearthServices
import HearthTesting
import Hummingbird
import HummingbirdTesting
import Testing

/// Hearth's MCP client over Streamable HTTP, against a real MCP server on loopback: another
/// Hearth's `/mcp`. Its tools become skills `server.tool` and run there.
struct MCPClientTests {
    @Test func anHTTPServersToolsAreSkillsThatRunThere() async throws {
        let provider = ScriptedProvider()
        let pipeline = ChatPipeline(router: ProviderRouter(providers: [provider]), defaultModel: provider.model)
        let upstream = Application(
            router: HTTPServer.router(services: Services(pipeline: pipeline), metrics: Metrics(), maxBodyBytes: 1 << 20))
        try await upstream.test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))/mcp"
            let clients = MCPClients(["other": MCPServerConfiguration(url: url, everyone: true)], logger: .init(label: "test"))
            let supervisor = Task { await clients.run() }
            defer { supervisor.cancel() }
            for _ in 0..<100 where clients.servers.first?.state != .up { try await Task.sleep(for: .milliseconds(50)) }
            #expect(clients.servers.first?.state == .up, "\(clients.servers)")
            #expect(clients.skills.map(\.name).contains("other.calculate"))
            let answer = await clients.run("other.calculate", input: #"{"expression":"6*7"}"#)
            #expect(answer == SkillOutput("42"), "\(answer)")
            #expect(await clients.run("other.calculate", input: #"{"expression":"1/0"}"#).isError)
        }
    }
}
