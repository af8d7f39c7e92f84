import Foundation
import HearthClient
import HearthCore
import HearthTesting
import HearthWire
import Hummingbird
import HummingbirdTesting
import Testing

/// Every `hearth` command that has a server to talk to goes through it (the server's own
/// metrics count each request), and works alone, in-process, when none answers.
@Suite(.serialized) struct ClientCLITests {
    @Test func commandsGoThroughARunningServerAndWorkAloneWithout() async throws {
        let home = try TestModels.home()
        let corpus = home.appending(path: "notes")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        try "The greenhouse is watered every morning at six by Tomas.\n".write(
            to: corpus.appending(path: "garden.txt"), atomically: true, encoding: .utf8)
        let port = try FreePort.find()
        let server = try CLITests.start(
            ["serve", "--port", "\(port)", "--parallel", "2", "--context", "1024"], home: home,
            output: home.appending(path: "server.log"))
        let unique = UUID().uuidString.prefix(8).lowercased()
        let (copy, profile, pulled) = ("cli-copy-\(unique):1", "cli-terse-\(unique):1", "cli-pull-\(unique):1")
        defer {
            if server.isRunning { server.terminate() }
            server.waitUntilExit()
            for name in [copy, profile, pulled] { try? TestModels.store.remove(name) }
            try? FileManager.default.removeItem(at: home)
        }
        let client = HearthClient(address: ServerAddress(host: "127.0.0.1", port: port))
        let deadline = ContinuousClock.now + .seconds(120)
        while !(await client.isServing()), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
        // The URL form of HEARTH_HOST, as OLLAMA_HOST users write it.
        let environment = ["HEARTH_HOME": home.path, "HEARTH_HOST": "http://127.0.0.1:\(port)"]
        @Sendable func hearth(_ arguments: String..., input: String? = nil) async throws -> String {
            let result = try await CLITests.hearth(arguments, input: input, environment: environment)
            #expect(result.status == 0, "hearth \(arguments.joined(separator: " ")): \(result.error)")
            #expect(!result.error.contains("running in-process"), "hearth \(arguments.joined(separator: " "))")
            return result.output + result.error  // progress bars and their summaries go to stderr
        }

        #expect(try await hearth("ingest", corpus.path, "-c", "notes").contains("'notes': 1 files ingested"))
        #expect(try await hearth("collections", "list").contains("notes"))
        #expect(try await hearth("collections", "show", "notes").contains("garden.txt"))
        #expect(try await hearth("search", "who waters the greenhouse", "-c", "notes").contains("Tomas"))
        #expect(try await hearth("ask", "Who waters the greenhouse?", "-c", "notes", "--max-tokens", "20").contains("Sources:"))
        let answer = try await hearth("run", "smollm2:135m", "Name three colors.", "--temperature", "0", "--max-tokens", "20")
        #expect(answer.split(whereSeparator: \.isLetter).count > 1, "\(answer)")
        let chat = try await hearth("chat", "smollm2:135m", "--max-tokens", "5", input: "Hi\n/bye\n")
        #expect(chat.contains("Chatting with") && !chat.contains("Error:"), "\(chat)")
        #expect(chat.components(separatedBy: ">>> ").count == 3)  // the message, then /bye
        #expect(try await hearth("ps").contains("smollm2:135m"))
        #expect(try await hearth("models", "list").contains("smollm2:135m"))
        #expect(try await hearth("models", "show", "smollm2:135m").contains("llama"))
        #expect(try await hearth("models", "cp", "smollm2:135m", copy).contains("copied"))
        #expect(try await hearth("models", "create", profile, "--from", copy, "--system", "Be terse.").contains("created \(profile)"))
        #expect(try await hearth("models", "show", profile).contains("Be terse."))
        #expect(try await hearth("models", "rm", copy, profile).contains("deleted \(copy)"))
        let file = try PullCLITests.model()
        try await PullCLITests.slowServer(file, requests: PullCLITests.Requests()).test(.live) { files in
            let url = "http://127.0.0.1:\(files.port ?? 0)/slow.gguf"
            let output = try await hearth("models", "pull", url, "--name", pulled)
            #expect(output.contains("verified"))
        }
        #expect(try await hearth("models", "rm", pulled).contains("deleted \(pulled)"))

        let metrics = try await client.metrics()
        for route in [
            "/hearth/ingest", "/hearth/collections", "/hearth/collections/{name}", "/hearth/search", "/hearth/ask",
            "/v1/chat/completions", "/hearth/status", "/hearth/models", "/hearth/models/{name}", "/hearth/models/copy",
            "/hearth/models/pull",
        ] {
            #expect(metrics.contains("route=\"\(route)\""), "the server saw no request to \(route)")
        }
        #expect(metrics.contains(#"method="DELETE",route="/hearth/models/{name}",status="200""#))

        // Without a server, the same commands run in-process and say so once.
        server.terminate()
        await server.exited()
        let alone = try await CLITests.hearth(["collections", "list"], environment: environment)
        #expect(alone.status == 0)
        #expect(alone.output.contains("notes"))
        #expect(alone.error.components(separatedBy: "running in-process").count == 2)
        let searchAlone = try await CLITests.hearth(
            ["search", "who waters the greenhouse", "-c", "notes"], environment: environment)
        #expect(searchAlone.output.contains("Tomas") && searchAlone.error.contains("running in-process"))
        let psAlone = try await CLITests.hearth(["ps"], environment: environment)
        #expect(psAlone.status == 1)
        #expect(psAlone.error.contains("no Hearth server answers at http://127.0.0.1:\(port)"))
    }

    @Test func aSilentServerIsAnErrorNotASecondCopyInProcess() async throws {
        let home = try TestModels.home()
        let (descriptor, port) = try FreePort.silentListener()
        defer {
            close(descriptor)
            try? FileManager.default.removeItem(at: home)
        }
        let result = try await CLITests.hearth(
            ["collections", "list"], environment: ["HEARTH_HOME": home.path, "HEARTH_HOST": "127.0.0.1:\(port)"])
        #expect(result.status != 0)
        #expect(!result.error.contains("running in-process"))
        #expect(result.error.contains("does not answer as a Hearth server"), "\(result.error)")
    }

    @Test func bootstrapThenKeysAndUsersThroughTheServer() async throws {
        try await CLITests.withServer { _, client, home in try await Self.bootstrapThenKeys(client, home) }
    }

    static func bootstrapThenKeys(_ client: HearthClient, _ home: URL) async throws {
        let port = client.address.port
        let environment = ["HEARTH_HOME": home.path, "HEARTH_HOST": "127.0.0.1:\(port)"]
        func hearth(_ arguments: String..., key: String? = nil) async throws -> (status: Int32, output: String, error: String) {
            var environment = environment
            if let key { environment["HEARTH_API_KEY"] = key }
            return try await CLITests.hearth(arguments, environment: environment)
        }

        #expect(try await hearth("users", "list").status == 0)  // open: loopback and no users yet
        let bootstrap = try await hearth("admin", "bootstrap", "--name", "root")
        let admin = bootstrap.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(bootstrap.status == 0 && admin.hasPrefix("hth_"), "\(bootstrap.error)")
        #expect(try await hearth("admin", "bootstrap").status != 0)  // once only
        try await Task.sleep(for: .milliseconds(1_100))  // an open server trusts "no users" for a second

        let refused = try await hearth("collections", "list")
        #expect(refused.status != 0 && refused.error.contains("API key"), "\(refused.error)")
        #expect(try await hearth("users", "add", "alice", key: admin).status == 0)
        let created = try await hearth("keys", "create", "--user", "alice", "--label", "laptop", key: admin)
        let alice = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(created.status == 0 && alice.hasPrefix("hth_") && created.error.contains("not shown again"))
        let listed = try await hearth("keys", "list", key: admin)
        #expect(listed.output.contains("alice") && listed.output.contains("laptop") && !listed.output.contains(alice))
        #expect(try await hearth("collections", "list", key: alice).status == 0)
        let ingest = try await hearth("ingest", home.path, "-c", "hers", key: alice)
        #expect(ingest.status != 0 && ingest.error.contains("administrator"), "\(ingest.error)")
        let forbidden = try await hearth("users", "list", key: alice)
        #expect(forbidden.status != 0 && forbidden.error.contains("administrator"), "\(forbidden.error)")
        #expect(try await hearth("run", "smollm2:135m", "Hi", "--max-tokens", "3", key: alice).status == 0)
        let usage = try await hearth("usage", "--by", "user", key: admin)
        #expect(usage.status == 0 && usage.output.contains("alice"), "\(usage.output) \(usage.error)")
        let own = try await hearth("usage", "--by", "user", key: alice)
        #expect(own.output.contains("alice") && !own.output.contains("root"))
        var withKey = environment
        withKey["HEARTH_API_KEY"] = admin
        let limited = try await hearth("users", "limit", "alice", "--tokens-per-day", "500000", "--concurrent", "3", key: admin)
        #expect(limited.status == 0 && limited.output.contains("limits set for alice"), "\(limited.error)")
        let alices = try await HearthClient(address: client.address, apiKey: admin).users().first { $0.name == "alice" }
        #expect(alices?.limits == IdentityWire.Limits(Limits(concurrent: 3, tokensPerDay: 500_000)))
        #expect(try await hearth("users", "limit", "alice", "--tokens-per-day", "0", key: admin).status != 0)
        let passwd = try await CLITests.hearth(["users", "passwd", "alice"], input: "tulips in April\n", environment: withKey)
        #expect(passwd.status == 0, "\(passwd.error)")
        let session = try await client.send(
            "/hearth/auth/login", method: .POST, body: IdentityWire.Login(name: "alice", password: "tulips in April"),
            as: IdentityWire.Session.self)
        #expect(session.user == "alice" && session.token.hasPrefix("hts_"))
        #expect(try await hearth("collections", "list", key: session.token).status == 0)

        // `hearth login` keeps a session in a file only its owner reads; commands use it.
        let login = try await CLITests.hearth(["login", "--user", "alice"], input: "tulips in April\n", environment: environment)
        #expect(login.status == 0 && login.output.contains("signed in as alice"), "\(login.error)")
        let tokenFile = home.appending(path: "token")
        let mode = try FileManager.default.attributesOfItem(atPath: tokenFile.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let mine = try await hearth("usage", "--by", "user")
        #expect(mine.status == 0 && mine.output.contains("alice") && !mine.output.contains("root"), "\(mine.error)")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: tokenFile.path)
        let exposed = try await hearth("usage")
        #expect(exposed.status != 0 && exposed.error.contains("chmod 600"), "\(exposed.error)")
        #expect(try await hearth("logout").status == 0)
        #expect(!FileManager.default.fileExists(atPath: tokenFile.path))
        let wrong = try await CLITests.hearth(["login", "--user", "alice"], input: "daffodils\n", environment: environment)
        #expect(wrong.status != 0 && !FileManager.default.fileExists(atPath: tokenFile.path))

        let log = try String(contentsOf: home.appending(path: "server.log"), encoding: .utf8)
        #expect(!log.contains(admin) && !log.contains(alice) && !log.contains("tulips"))
    }
}
