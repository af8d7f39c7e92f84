import Foundation
import HearthCore
import Logging
import MCP
import Synchronization

/// External MCP servers, configured by name, whose tools become skills named `server.tool`
/// (usable on `/hearth/skills`, in the agent loop, and through Hearth's own MCP server). Each
/// server is kept running: one that fails to start or dies is started again after 1, 2, 4…
/// up to 60 seconds, and `/hearth/status` says how each is doing.
public final class MCPClients: ExternalSkills {
    let links: [Link]
    let logger: Logger

    public init(_ servers: [String: MCPServerConfiguration], logger: Logger) {
        links = servers.keys.sorted().map { Link(name: $0, configuration: servers[$0]!) }
        self.logger = logger
    }

    /// Keeps every server connected until the task is cancelled; then stops them.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for link in links { group.addTask { await self.supervise(link) } }
        }
    }

    private func supervise(_ link: Link) async {
        var backoff = Duration.seconds(1)
        while !Task.isCancelled {
            let started = ContinuousClock.now
            link.update { $0.status.state = .starting }
            do {
                let connection = try await Connection.open(link.name, link.configuration)
                let tools = try await connection.tools()
                link.update { state in
                    state.connection = connection
                    state.tools = tools
                    state.status = ExternalServerStatus(
                        name: link.name, state: .up, tools: tools.count, restarts: state.status.restarts)
                }
                logger.info("MCP server up", metadata: ["hearth.mcp": "\(link.name)", "hearth.tools": "\(tools.count)"])
                let reason = await withTaskCancellationHandler {
                    await connection.ended()
                } onCancel: {
                    connection.close()
                }
                link.down(reason)
                await connection.shutDown()
            } catch {
                link.down("\(error)")
            }
            guard !Task.isCancelled else { break }
            logger.warning(
                "MCP server down", metadata: ["hearth.mcp": "\(link.name)", "error": "\(link.status.error ?? "")"])
            // A server that ran a while starts the count again.
            if ContinuousClock.now - started > .seconds(60) { backoff = .seconds(1) }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(60))
            link.update { $0.status.restarts += 1 }
        }
    }

    // MARK: - ExternalSkills

    public var skills: [SkillInfo] {
        links.flatMap { link in
            let (tools, adminOnly) = (link.tools, !(link.configuration.everyone ?? false))
            return tools.compactMap { tool -> SkillInfo? in
                let name = link.name + "." + tool.name
                // A name a model's tools can carry (letters, digits, _, -, .), or the tool is left out.
                guard name.count <= 64, tool.name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) })
                else { return nil }
                let schema = (try? JSONEncoder().encode(tool.inputSchema)).map { String(decoding: $0, as: UTF8.self) }
                return SkillInfo(
                    name: name, description: tool.description ?? "", inputSchema: schema ?? "{}", origin: .mcp(link.name),
                    adminOnly: adminOnly, network: true)
            }
        }
    }

    public func run(_ name: String, input: String) async -> SkillOutput {
        guard let dot = name.firstIndex(of: "."), let link = links.first(where: { $0.name == name[..<dot] }) else {
            return .failure("no MCP server has the tool '\(name.prefix(64))'")
        }
        guard let connection = link.connection else {
            return .failure("the MCP server '\(link.name)' is not running: \(link.status.error ?? "starting")")
        }
        let arguments = (try? JSONDecoder().decode([String: Value].self, from: Data(input.utf8))) ?? [:]
        let timeout = Duration.seconds(link.configuration.timeout ?? 60)
        return await connection.call(String(name[name.index(after: dot)...]), arguments: arguments, timeout: timeout)
    }

    public var servers: [ExternalServerStatus] { links.map(\.status) }
}

/// One configured server: its connection while it is up, its tools and its status.
final class Link: Sendable {
    struct State: Sendable {
        var connection: Connection?
        var tools: [MCP.Tool] = []
        var status: ExternalServerStatus
    }

    let name: String
    let configuration: MCPServerConfiguration
    private let state: Mutex<State>

    init(name: String, configuration: MCPServerConfiguration) {
        self.name = name
        self.configuration = configuration
        state = Mutex(State(status: ExternalServerStatus(name: name, state: .starting)))
    }

    func update(_ change: (inout State) -> Void) { state.withLock { change(&$0) } }
    var connection: Connection? { state.withLock { $0.connection } }
    var tools: [MCP.Tool] { state.withLock { $0.tools } }
    var status: ExternalServerStatus { state.withLock { $0.status } }

    func down(_ reason: String) {
        update { state in
            state.connection = nil
            state.tools = []
            state.status = ExternalServerStatus(
                name: name, state: .down, error: String(reason.suffix(500)), restarts: state.status.restarts)
        }
    }
}
