import Foundation
import HearthCore

/// `knowledge_search`: hybrid search over the caller's collections (all they may read, or
/// those named).
struct KnowledgeSearchSkill: Skill {
    let knowledge: KnowledgeService

    let info = SkillInfo(
        name: "knowledge_search",
        description: "Search the knowledge base (documents the user may read) and return the most relevant passages with their sources.",
        inputSchema: SkillInfo.schema(
            [
                "query": ["type": "string", "description": "what to look for"],
                "collections": ["type": "array", "items": ["type": "string"], "description": "collections to search (default: all)"],
                "limit": ["type": "integer", "description": "passages to return (default 5, at most 20)"],
            ], required: ["query"]))

    func run(_ input: SkillInput, by principal: Principal) async throws -> SkillOutput {
        let collections = try await KnowledgeSkills.collections(input, knowledge: knowledge, by: principal)
        guard !collections.isEmpty else { return SkillOutput("The knowledge base has no collections this user may read.") }
        let limit = min(max(1, input.integer("limit") ?? 5), 20)
        let hits = try await knowledge.search(
            RetrievalQuery(text: try input.requiredString("query"), collections: collections, k: limit), by: principal)
        guard !hits.isEmpty else { return SkillOutput("Nothing found.") }
        return SkillOutput(
            hits.enumerated().map { index, hit in
                "[\(index + 1)] \(hit.path)\(hit.heading.isEmpty ? "" : " — \(hit.heading)") (\(hit.collection))\n\(hit.text)"
            }.joined(separator: "\n\n"))
    }
}

/// `knowledge_ask`: an answer from the caller's collections, citing its sources.
struct KnowledgeAskSkill: Skill {
    let knowledge: KnowledgeService

    let info = SkillInfo(
        name: "knowledge_ask",
        description: "Answer a question from the knowledge base (documents the user may read), citing the sources used.",
        inputSchema: SkillInfo.schema(
            [
                "question": ["type": "string"],
                "collections": ["type": "array", "items": ["type": "string"], "description": "collections to use (default: all)"],
            ], required: ["question"]))

    func run(_ input: SkillInput, by principal: Principal) async throws -> SkillOutput {
        let collections = try await KnowledgeSkills.collections(input, knowledge: knowledge, by: principal)
        guard !collections.isEmpty else { return SkillOutput("The knowledge base has no collections this user may read.") }
        let answer = try await knowledge.ask(
            RetrievalQuery(text: try input.requiredString("question"), collections: collections), by: principal)
        var text = ""
        for try await event in answer.events {
            if case .text(let piece) = event { text += piece }
        }
        return SkillOutput(text)
    }
}

enum KnowledgeSkills {
    /// The collections an input names, or all the caller may read.
    static func collections(_ input: SkillInput, knowledge: KnowledgeService, by principal: Principal) async throws -> [String] {
        let named = input.strings("collections")
        return named.isEmpty ? try await knowledge.collections(by: principal).map(\.name) : named
    }
}
