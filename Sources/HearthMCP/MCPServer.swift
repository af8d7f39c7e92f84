import Foundation
import HearthCore
import HearthServices
import MCP

/// Hearth as an MCP server, for one caller: the skills it may run as tools, the collections
/// and documents it may read as resources, the model profiles it may use as prompts. The
/// official swift-sdk speaks the protocol (version negotiation, JSON-RPC, errors); this file
/// answers its questions from the services, with the caller's rights.
public struct MCPServer: Sendable {
    let services: Services
    let principal: Principal

    public static let name = "hearth"

    public init(services: Services, principal: Principal) {
        self.services = services
        self.principal = principal
    }

    /// An SDK server whose handlers act for `principal`.
    func make(version: String) async -> Server {
        let server = Server(
            name: Self.name, version: version, title: "Hearth",
            instructions: "Hearth's skills (tools), knowledge-base collections and documents (resources) and model profiles (prompts).",
            capabilities: .init(
                prompts: .init(listChanged: false), resources: .init(subscribe: false, listChanged: false),
                tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: tools()) }
        await server.withMethodHandler(CallTool.self) { params in try await call(params) }
        await server.withMethodHandler(ListResources.self) { _ in ListResources.Result(resources: try await resources()) }
        await server.withMethodHandler(ListResourceTemplates.self) { _ in ListResourceTemplates.Result(templates: [Self.documentTemplate]) }
        await server.withMethodHandler(ReadResource.self) { params in try await read(params.uri) }
        await server.withMethodHandler(ListPrompts.self) { _ in ListPrompts.Result(prompts: try prompts()) }
        await server.withMethodHandler(GetPrompt.self) { params in try prompt(params.name) }
        return server
    }

    // MARK: - Tools

    func tools() -> [MCP.Tool] {
        services.skills.list(by: principal).skills.map { skill in
            MCP.Tool(
                name: skill.name, description: skill.description,
                inputSchema: (try? JSONDecoder().decode(Value.self, from: Data(skill.inputSchema.utf8))) ?? .object([:]))
        }
    }

    func call(_ params: CallTool.Parameters) async throws -> CallTool.Result {
        guard (try? services.skills.info(params.name, by: principal)) != nil else {
            throw MCPError.invalidParams("Unknown tool: \(params.name.prefix(64))")
        }
        let input = String(decoding: try JSONEncoder().encode(params.arguments ?? [:]), as: UTF8.self)
        let output: SkillOutput
        do {
            output = try await services.skills.run(params.name, input: input, by: principal)
        } catch let error as HearthError {
            // Input that does not fit the schema: a tool error the model can correct.
            output = .failure(error.message)
        }
        return CallTool.Result(content: [.text(text: output.text, annotations: nil, _meta: nil)], isError: output.isError)
    }

    // MARK: - Resources

    static let scheme = "hearth://collections/"
    static let documentTemplate = Resource.Template(
        uriTemplate: scheme + "{collection}/documents/{path}", name: "document",
        description: "A document of a knowledge-base collection, as indexed (its path percent-encoded)", mimeType: "text/plain")

    func resources() async throws -> [Resource] {
        guard let knowledge = services.knowledge else { return [] }
        return try await knowledge.collections(by: principal).map { collection in
            Resource(
                name: collection.name, uri: Self.scheme + Self.encoded(collection.name), title: collection.label,
                description: "Knowledge-base collection: \(collection.documents) documents, \(collection.chunks) chunks",
                mimeType: "application/json")
        }
    }

    /// A collection (its documents, as JSON) or a document (its text).
    func read(_ uri: String) async throws -> ReadResource.Result {
        guard let knowledge = services.knowledge, uri.hasPrefix(Self.scheme) else { throw Self.unknownResource(uri) }
        let parts = uri.dropFirst(Self.scheme.count).split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard let name = parts.first.flatMap({ String($0).removingPercentEncoding }) else { throw Self.unknownResource(uri) }
        do {
            if parts.count == 1 {
                let detail = try await knowledge.collection(name, by: principal)
                let documents = detail.documents.map { document in
                    [
                        "path": document.path, "uri": Self.scheme + Self.encoded(name) + "/documents/" + Self.encoded(document.path),
                        "bytes": "\(document.bytes)", "chunks": "\(document.chunks)",
                    ]
                }
                let text = String(decoding: try JSONEncoder().encode(["documents": documents]), as: UTF8.self)
                return ReadResource.Result(contents: [.text(text, uri: uri, mimeType: "application/json")])
            }
            guard parts.count == 3, parts[1] == "documents", let path = String(parts[2]).removingPercentEncoding else {
                throw Self.unknownResource(uri)
            }
            let (_, text) = try await knowledge.document(path, in: name, by: principal)
            return ReadResource.Result(contents: [.text(text, uri: uri, mimeType: "text/plain")])
        } catch let error as HearthError where error.code == .notFound {
            throw Self.unknownResource(uri)
        }
    }

    /// The spec's "resource not found".
    static func unknownResource(_ uri: String) -> MCPError { .serverError(code: -32002, message: "Resource not found: \(uri.prefix(300))") }

    static func encoded(_ part: String) -> String {
        part.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? part
    }

    // MARK: - Prompts

    /// Model profiles with a system prompt.
    func prompts() throws -> [MCP.Prompt] {
        guard let summaries = try? services.models.list(by: principal) else { return [] }
        return summaries.compactMap { summary in
            guard let profile = summary.entry.profile, profile.system != nil else { return nil }
            return MCP.Prompt(
                name: summary.entry.name, description: "The system prompt of the profile \(summary.entry.name) (from \(profile.from))")
        }
    }

    func prompt(_ name: String) throws -> GetPrompt.Result {
        guard let entry = try? services.models.list(by: principal).first(where: { $0.entry.name == name })?.entry,
            let system = entry.profile?.system
        else { throw MCPError.invalidParams("Unknown prompt: \(name.prefix(64))") }
        return GetPrompt.Result(description: "The system prompt of \(name)", messages: [.user(.text(text: system))])
    }
}
