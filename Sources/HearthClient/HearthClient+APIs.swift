import Foundation
import HearthWire
import NIOHTTP1

// The typed calls `hearth` and `aish` make, one per endpoint.

extension HearthClient {
    // MARK: - System

    /// `GET /hearth/status`: the loaded models.
    public func status() async throws -> HearthStatus {
        try await send("/hearth/status", timeout: .seconds(10))
    }

    /// `GET /metrics`: the server's Prometheus metrics, as text.
    public func metrics() async throws -> String {
        try await text("/metrics")
    }

    // MARK: - Chat

    /// `POST /v1/chat/completions` without streaming.
    public func chat(_ request: OpenAI.ChatCompletionRequest) async throws -> OpenAI.ChatCompletion {
        var request = request
        request.stream = false
        return try await send("/v1/chat/completions", method: .POST, body: request)
    }

    /// `POST /v1/chat/completions`, streamed: the answer's text as it comes.
    public func streamChat(_ request: OpenAI.ChatCompletionRequest) -> AsyncThrowingStream<String, any Error> {
        var request = request
        request.stream = true
        let chunks = stream("/v1/chat/completions", body: request, as: OpenAI.ChatCompletionChunk.self)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await chunk in chunks {
                        if let text = chunk.choices.first?.delta.content, !text.isEmpty { continuation.yield(text) }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    // MARK: - Knowledge

    /// `GET /hearth/collections`.
    public func collections() async throws -> [KnowledgeWire.Collection] {
        try await send("/hearth/collections", as: KnowledgeWire.CollectionList.self).collections
    }

    /// `GET /hearth/collections/{name}`.
    public func collection(_ name: String) async throws -> KnowledgeWire.CollectionDetail {
        try await send("/hearth/collections/" + Self.segment(name))
    }

    /// `DELETE /hearth/collections/{name}`.
    public func deleteCollection(_ name: String) async throws {
        _ = try await send("/hearth/collections/" + Self.segment(name), method: .DELETE, as: KnowledgeWire.Deleted.self)
    }

    /// `POST /hearth/search`.
    public func search(_ request: KnowledgeWire.SearchRequest) async throws -> KnowledgeWire.SearchResponse {
        try await send("/hearth/search", method: .POST, body: request)
    }

    /// `POST /hearth/ask`, streamed: the sources, then the answer's text, then the end.
    public func ask(_ request: KnowledgeWire.AskRequest) -> AsyncThrowingStream<KnowledgeWire.AskEvent, any Error> {
        var request = request
        request.stream = true
        return stream("/hearth/ask", body: request)
    }

    /// `POST /hearth/ingest`: the job's progress as it goes.
    public func ingest(_ request: KnowledgeWire.IngestRequest) -> AsyncThrowingStream<KnowledgeWire.IngestEvent, any Error> {
        stream("/hearth/ingest", body: request)
    }

    // MARK: - Models

    /// `GET /hearth/models`.
    public func models() async throws -> ModelsWire.ModelList {
        try await send("/hearth/models")
    }

    /// `GET /hearth/models/{name}`.
    public func model(_ name: String) async throws -> ModelsWire.Detail {
        try await send("/hearth/models/" + Self.segment(name))
    }

    /// `POST /hearth/models/pull`: the download's progress as it goes.
    public func pull(_ request: ModelsWire.PullRequest) -> AsyncThrowingStream<ModelsWire.PullEvent, any Error> {
        stream("/hearth/models/pull", body: request)
    }

    /// `POST /hearth/models`: creates a profile.
    public func createModel(_ request: ModelsWire.CreateRequest) async throws -> ModelsWire.Changed {
        try await send("/hearth/models", method: .POST, body: request)
    }

    /// `POST /hearth/models/copy`.
    public func copyModel(_ source: String, to destination: String) async throws -> ModelsWire.Changed {
        try await send("/hearth/models/copy", method: .POST, body: ModelsWire.CopyRequest(source: source, destination: destination))
    }

    /// `DELETE /hearth/models/{name}`: unloads the model, then removes it.
    public func deleteModel(_ name: String) async throws -> ModelsWire.Changed {
        try await send("/hearth/models/" + Self.segment(name), method: .DELETE)
    }

    /// `POST /hearth/providers/test` (administrators).
    public func testProviders() async throws -> ProviderProbes {
        try await send("/hearth/providers/test", method: .POST, body: String?.none)
    }

    /// `POST /hearth/reload` (administrators): the server reads `config.toml` again.
    public func reload() async throws -> GatewayReload {
        try await send("/hearth/reload", method: .POST, body: String?.none)
    }

    // MARK: - Skills

    /// `GET /hearth/skills`.
    public func skills() async throws -> SkillsWire.List {
        try await send("/hearth/skills")
    }

    /// `POST /hearth/skills/{name}`.
    public func runSkill(_ name: String, arguments: JSONValue?) async throws -> SkillsWire.RunResult {
        try await send("/hearth/skills/" + Self.segment(name), method: .POST, body: SkillsWire.RunRequest(arguments: arguments))
    }

    // MARK: - Users and keys

    /// `GET /hearth/users` (administrators).
    public func users() async throws -> [IdentityWire.User] {
        try await send("/hearth/users", as: IdentityWire.UserList.self).users
    }

    /// `POST /hearth/users` (administrators).
    public func createUser(_ request: IdentityWire.CreateUser) async throws -> IdentityWire.User {
        try await send("/hearth/users", method: .POST, body: request)
    }

    /// `POST /hearth/users/{name}/disable` or `/enable` (administrators).
    public func setDisabled(_ disabled: Bool, user name: String) async throws -> IdentityWire.User {
        try await send("/hearth/users/" + Self.segment(name) + (disabled ? "/disable" : "/enable"), method: .POST)
    }

    /// `PUT /hearth/users/{name}/limits`: what all of the user's requests together may use.
    public func setLimits(_ limits: IdentityWire.Limits, user name: String) async throws -> IdentityWire.User {
        try await send("/hearth/users/" + Self.segment(name) + "/limits", method: .PUT, body: limits)
    }

    /// `POST /hearth/users/{name}/password`: an administrator anyone's, a user their own.
    public func setPassword(_ password: String, user name: String) async throws {
        _ = try await send(
            "/hearth/users/" + Self.segment(name) + "/password", method: .POST, body: IdentityWire.SetPassword(password: password),
            as: IdentityWire.PasswordSet.self)
    }

    /// `GET /hearth/keys`: the caller's keys (everyone's for an administrator).
    public func keys() async throws -> [IdentityWire.Key] {
        try await send("/hearth/keys", as: IdentityWire.KeyList.self).keys
    }

    /// `POST /hearth/keys`: a new key, its secret in `key` (shown once).
    public func createKey(_ request: IdentityWire.CreateKey) async throws -> IdentityWire.Key {
        try await send("/hearth/keys", method: .POST, body: request)
    }

    /// `DELETE /hearth/keys/{id}`.
    public func revokeKey(_ id: String) async throws -> IdentityWire.Key {
        try await send("/hearth/keys/" + Self.segment(id), method: .DELETE)
    }

    /// `GET /hearth/usage`: totals over the last `days` days by `by` (day, model, key, user);
    /// one user's when `user` is named (administrators).
    public func usage(by: String, days: Double, user: String? = nil) async throws -> IdentityWire.UsageReport {
        var path = "/hearth/usage?by=\(Self.segment(by))&days=\(days)"
        if let user { path += "&user=" + Self.segment(user) }
        return try await send(path)
    }

    /// `GET /hearth/audit` (administrators): the newest events of the last `days` days.
    public func audit(days: Double, limit: Int) async throws -> IdentityWire.AuditLog {
        try await send("/hearth/audit?days=\(days)&limit=\(limit)")
    }

    // MARK: - Sessions

    /// `POST /hearth/auth/login`, sent without a key: a session token for `name` (shown once)
    /// and when it expires.
    /// - Throws: `HearthError.unauthorized` for a wrong name or password; `.rateLimited` while
    ///   failed sign-ins are slowed down.
    public func login(_ name: String, password: String) async throws -> IdentityWire.Session {
        try await withKey(nil).send(
            "/hearth/auth/login", method: .POST, body: IdentityWire.Login(name: name, password: password), timeout: .minutes(1))
    }

    /// `POST /hearth/auth/logout` with `token` as the key: ends that session.
    /// - Throws: `HearthError.unauthorized` when `token` is no live session.
    public func logout(session token: String) async throws {
        try await withKey(token).perform("/hearth/auth/logout", method: .POST)
    }

    /// `name` as one path segment.
    static func segment(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? name
    }
}
