import Foundation
import HearthCore
import MCP
import Synchronization
import SystemPackage

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// How to reach one external MCP server: a program speaking MCP on its standard input and
/// output, or a Streamable HTTP URL.
public struct MCPServerConfiguration: Sendable, Decodable, Equatable {
    /// The program (found on `PATH`) and its arguments.
    public var command: String?
    public var args: [String]?
    /// Added to the program's environment, which holds only `PATH`, `HOME` and `LANG` of the
    /// server's otherwise: no secret of Hearth's reaches it.
    public var env: [String: String]?
    /// A Streamable HTTP endpoint, with headers (an `Authorization` of its own).
    public var url: String?
    public var headers: [String: String]?
    /// Whether users may call its tools; by default administrators only.
    public var everyone: Bool?
    /// Seconds a call may take (default 60).
    public var timeout: Int?

    public init(command: String? = nil, args: [String]? = nil, url: String? = nil, everyone: Bool? = nil) {
        self.command = command
        self.args = args
        self.url = url
        self.everyone = everyone
    }

    /// The servers of a configuration file in the shape MCP hosts share,
    /// `{"mcpServers": {"NAME": {"command": …, "args": […]} | {"url": …}}}`; none when the file
    /// does not exist.
    /// - Throws: `HearthError.invalidRequest` saying what is wrong with the file.
    public static func servers(in file: URL) throws -> [String: MCPServerConfiguration] {
        guard let data = FileManager.default.contents(atPath: file.path) else { return [:] }
        struct File: Decodable { var mcpServers: [String: MCPServerConfiguration]? }
        let servers: [String: MCPServerConfiguration]
        do {
            servers = try JSONDecoder().decode(File.self, from: data).mcpServers ?? [:]
        } catch {
            throw HearthError.invalidRequest("\(file.path) is not an MCP configuration ({\"mcpServers\": {…}}): \(error)")
        }
        for (name, server) in servers {
            guard !name.isEmpty, name.count <= 32, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
            else { throw HearthError.invalidRequest("\(file.path): the server name '\(name)' must be letters, digits, '_' or '-'") }
            guard (server.command == nil) != (server.url == nil) else {
                throw HearthError.invalidRequest("\(file.path): the server '\(name)' needs a command or a url, not both")
            }
        }
        return servers
    }
}

/// A connected MCP client: the SDK's `Client` over the pipes of a child process or over HTTP.
final class Connection: Sendable {
    let client: Client
    /// A stdio server's process: its id, its standard input, and its exit.
    let child: Child?
    private let end = EndSignal()
    private let stderrTail: Tail

    struct Child: Sendable {
        var pid: pid_t
        var input: FileHandle
        var exited: EndSignal
    }

    private init(client: Client, child: Child? = nil, stderrTail: Tail = Tail()) {
        self.client = client
        self.child = child
        self.stderrTail = stderrTail
    }

    /// Starts the server (or reaches it) and connects.
    /// - Throws: when it cannot start or does not answer `initialize`.
    static func open(_ name: String, _ configuration: MCPServerConfiguration) async throws -> Connection {
        let client = Client(name: "hearth", version: HearthCore.Configuration.version)
        if let url = configuration.url {
            guard let endpoint = URL(string: url) else { throw HearthError.invalidRequest("'\(url)' is not a URL") }
            let headers = configuration.headers ?? [:]
            // No cookie jar: URLSession's default one is the process's, shared by every URL
            // session, and cookies ignore ports, so a session cookie another client of this
            // process received from a server on the same host would ride along. (The likely
            // cause of a flaky test: a Hearth upstream answered this client's POST with 403,
            // which, without Authorization or Origin, only a cookie lacking its CSRF header
            // gets, after another test had signed in through URLSession.shared.)
            let session = URLSessionConfiguration.ephemeral
            session.httpCookieStorage = nil
            session.httpShouldSetCookies = false
            session.httpCookieAcceptPolicy = .never
            let transport = HTTPClientTransport(
                endpoint: endpoint, configuration: session, streaming: false,
                requestModifier: { request in
                    var request = request
                    for (field, value) in headers { request.setValue(value, forHTTPHeaderField: field) }
                    return request
                })
            let connection = Connection(client: client)
            try await connection.connect(transport)
            return connection
        }
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/env")
        process.arguments = [configuration.command ?? ""] + (configuration.args ?? [])
        let own = ProcessInfo.processInfo.environment
        process.environment = ["PATH": own["PATH"] ?? "/usr/bin:/bin", "HOME": own["HOME"] ?? "/", "LANG": "C.UTF-8"]
            .merging(configuration.env ?? [:]) { $1 }
        let (input, output, errors) = (Pipe(), Pipe(), Pipe())
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        let tail = Tail()
        let ended = EndSignal()
        process.terminationHandler = { process in
            let status = process.terminationStatus
            ended.finish(process.terminationReason == .uncaughtSignal ? "killed by signal \(status)" : "exited with status \(status)")
        }
        try process.run()
        let connection = Connection(
            client: client, child: Child(pid: process.processIdentifier, input: input.fileHandleForWriting, exited: ended),
            stderrTail: tail)
        ended.forward(to: connection.end) { [weak connection] reason in
            let last = connection?.lastWords ?? ""
            return last.isEmpty ? reason : "\(reason): \(last)"
        }
        DispatchQueue.global().async {
            // Kept short; read on so that a chatty server never blocks on a full pipe.
            while let chunk = try? errors.fileHandleForReading.read(upToCount: 4_096), !chunk.isEmpty {
                tail.append(chunk)
            }
        }
        let transport = StdioTransport(
            input: FileDescriptor(rawValue: output.fileHandleForReading.fileDescriptor),
            output: FileDescriptor(rawValue: input.fileHandleForWriting.fileDescriptor))
        do {
            try await connection.connect(transport)
        } catch {
            connection.close()
            await connection.shutDown()
            throw HearthError(.unavailable, "\(error)" + (connection.lastWords.isEmpty ? "" : ": " + connection.lastWords))
        }
        return connection
    }

    /// Connects, giving up after 30 seconds (a program that never speaks MCP) or when the
    /// program exits first.
    private func connect(_ transport: any Transport) async throws {
        try await Self.within(.seconds(30), "did not answer initialize in 30 s", or: end) { [client] in
            _ = try await client.connect(transport: transport)
        }
    }

    /// Every tool, page by page, within 30 seconds (and before the program exits).
    func tools() async throws -> [MCP.Tool] {
        try await Self.within(.seconds(30), "did not list its tools in 30 s", or: end) { [client] in
            var tools: [MCP.Tool] = []
            var cursor: String?
            repeat {
                let page = try await client.listTools(cursor: cursor)
                tools += page.tools
                cursor = page.nextCursor
            } while cursor != nil && tools.count < 1_000
            return tools
        }
    }

    /// Calls a tool; its text content is the output.
    func call(_ tool: String, arguments: [String: Value], timeout: Duration) async -> SkillOutput {
        do {
            let result = try await Self.within(timeout, "the call took longer than \(timeout)") { [client] in
                try await client.callTool(name: tool, arguments: arguments)
            }
            let text = result.content.map { content -> String in
                switch content {
                case .text(let text, _, _): text
                case .image(_, let type, _, _): "[\(type) image]"
                case .audio(_, let type, _, _): "[\(type) audio]"
                case .resource(let resource, _, _): resource.text ?? "[\(resource.uri)]"
                case .resourceLink(let uri, let name, _, _, _, _): "[\(name): \(uri)]"
                }
            }.joined(separator: "\n")
            return SkillOutput(text, isError: result.isError ?? false)
        } catch let error as MCPError {
            if case .transportError = error { end.finish("\(error)") }
            if case .connectionClosed = error { end.finish("the connection closed") }
            return .failure("the MCP server refused the call: \(error.localizedDescription)")
        } catch {
            return .failure("\(error)")
        }
    }

    /// Waits until the server exits, its connection fails, or `close` is called; says why.
    func ended() async -> String { await end.wait() }

    func close() { end.finish("stopped") }

    /// Disconnects and stops the program as MCP asks of stdio clients: its input is closed,
    /// and a program still running 2 seconds later is killed. (Not SIGTERM: a server started
    /// by a service inherits it ignored.)
    func shutDown() async {
        await client.disconnect()
        guard let child else { return }
        try? child.input.close()
        for _ in 0..<20 where child.exited.reason == nil {
            try? await Task.sleep(for: .milliseconds(100))
        }
        if child.exited.reason == nil { kill(child.pid, SIGKILL) }
    }

    /// The last lines it wrote to standard error.
    var lastWords: String {
        String(decoding: stderrTail.data, as: UTF8.self).split(whereSeparator: \.isNewline).suffix(3).joined(separator: " | ")
    }

    /// `body`'s result; or `HearthError.unavailable(message)` after `limit`, the reason of
    /// `end` when it comes first, `CancellationError` when the task is cancelled. `body` is
    /// left to finish on its own (the SDK's calls end when the client disconnects).
    static func within<T: Sendable>(
        _ limit: Duration, _ message: String, or end: EndSignal? = nil, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let race = Race<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                race.start(
                    continuation,
                    [
                        Task {
                            do {
                                race.finish(.success(try await body()))
                            } catch {
                                race.finish(.failure(error))
                            }
                        },
                        Task {
                            try? await Task.sleep(for: limit)
                            race.finish(.failure(HearthError(.unavailable, message)))
                        },
                        Task {
                            guard let end else { return }
                            race.finish(.failure(HearthError(.unavailable, await end.wait())))
                        },
                    ])
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }
}

/// The first of several outcomes, delivered once to a waiting continuation; the other
/// contenders are cancelled.
private final class Race<T: Sendable>: Sendable {
    private let state = Mutex<
        (continuation: CheckedContinuation<T, any Error>?, result: Result<T, any Error>?, tasks: [Task<Void, Never>])
    >(
        (nil, nil, []))

    func start(_ continuation: CheckedContinuation<T, any Error>, _ tasks: [Task<Void, Never>]) {
        let early = state.withLock { state -> Result<T, any Error>? in
            state.tasks = tasks
            if state.result == nil { state.continuation = continuation }
            return state.result
        }
        if let early {
            tasks.forEach { $0.cancel() }
            continuation.resume(with: early)
        }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<T, any Error>?, [Task<Void, Never>]) in
            guard state.result == nil else { return (nil, []) }
            state.result = result
            defer { state.continuation = nil }
            return (state.continuation, state.tasks)
        }
        tasks.forEach { $0.cancel() }
        continuation?.resume(with: result)
    }
}

/// An end that happens once, with its reason, awaited by anyone.
final class EndSignal: Sendable {
    private let state = Mutex<(reason: String?, waiters: [CheckedContinuation<String, Never>], forward: (@Sendable (String) -> Void)?)>(
        (nil, [], nil))

    func finish(_ reason: String) {
        let (waiters, forward) = state.withLock { state -> ([CheckedContinuation<String, Never>], (@Sendable (String) -> Void)?) in
            guard state.reason == nil else { return ([], nil) }
            state.reason = reason
            defer { state.waiters = [] }
            return (state.waiters, state.forward)
        }
        for waiter in waiters { waiter.resume(returning: reason) }
        forward?(reason)
    }

    var reason: String? { state.withLock { $0.reason } }

    func wait() async -> String {
        await withCheckedContinuation { continuation in
            let reason = state.withLock { state -> String? in
                if state.reason == nil { state.waiters.append(continuation) }
                return state.reason
            }
            if let reason { continuation.resume(returning: reason) }
        }
    }

    /// Ends `other` too when this ends, with the reason `describe` makes.
    func forward(to other: EndSignal, _ describe: @escaping @Sendable (String) -> String) {
        let reason = state.withLock { state -> String? in
            if state.reason == nil { state.forward = { other.finish(describe($0)) } }
            return state.reason
        }
        if let reason { other.finish(describe(reason)) }
    }
}

/// The last 2,000 bytes a program wrote.
final class Tail: Sendable {
    private let bytes = Mutex(Data())

    func append(_ chunk: Data) { bytes.withLock { $0 = ($0 + chunk).suffix(2_000) } }
    var data: Data { bytes.withLock { $0 } }
}
