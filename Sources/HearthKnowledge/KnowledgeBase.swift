import Foundation
import HearthCore
import Logging
import Synchronization

/// The knowledge base as the server and the CLI use it: the store with what ingests into
/// it, searches it and answers from it.
public struct KnowledgeBase: Sendable {
    public var store: any KnowledgeStore
    public var ingestor: Ingestor
    public var retriever: Retriever
    public var answerer: Answerer
    /// New collections embed with this model.
    public var embeddingModel: String
    /// Uploaded files waiting to be ingested into collections.
    public var uploads: UploadQueue

    public init(
        store: any KnowledgeStore, embedder: any Embedder, embeddingModel: String, reranker: (any Reranker)? = nil,
        logger: Logger = Logger(label: "hearth.knowledge"), events: (any EventBus)? = nil
    ) {
        self.store = store
        self.embeddingModel = embeddingModel
        ingestor = Ingestor(store: store, embedder: embedder, logger: logger, events: events)
        retriever = Retriever(store: store, embedder: embedder, reranker: reranker)
        answerer = Answerer(retriever: retriever)
        uploads = UploadQueue(ingestor: ingestor, logger: logger)
    }
}

/// Ingests uploaded files added to collections (OpenAI vector-store files) one at a time,
/// in the background, recording each one's status on its attachment, and saves the vector
/// indexes when nothing is left waiting. `run()` is the loop (a service of the application);
/// at start it takes up attachments a previous run left in progress.
public final class UploadQueue: Sendable {
    public struct Work: Sendable {
        public var fileID: String
        public var collection: String

        public init(fileID: String, collection: String) {
            self.fileID = fileID
            self.collection = collection
        }
    }

    private let ingestor: Ingestor
    private let logger: Logger
    private let stream: AsyncStream<Work>
    private let continuation: AsyncStream<Work>.Continuation
    /// Files submitted and not yet ingested.
    private let waiting = Mutex(0)

    init(ingestor: Ingestor, logger: Logger) {
        self.ingestor = ingestor
        self.logger = logger
        (stream, continuation) = AsyncStream.makeStream(of: Work.self)
    }

    /// Queues a file whose attachment has been recorded as in progress.
    public func submit(_ work: Work) {
        waiting.withLock { $0 += 1 }
        continuation.yield(work)
    }

    /// Ingests queued files until cancelled.
    public func run() async {
        let store = ingestor.store
        if let collections = try? await store.collections() {
            for collection in collections {
                for attachment in (try? await store.attachments(in: collection.name)) ?? [] where attachment.status == .inProgress {
                    submit(Work(fileID: attachment.fileID, collection: collection.name))
                }
            }
        }
        for await work in stream {
            if Task.isCancelled { break }
            await ingest(work)
            // The index file is rewritten whole: once a batch, not once a file.
            if waiting.withLock({
                $0 -= 1; return $0
            }) == 0 {
                try? await store.flush()
            }
        }
    }

    private func ingest(_ work: Work) async {
        let store = ingestor.store
        guard var attachment = try? await store.attachment(fileID: work.fileID, in: work.collection), attachment.status == .inProgress
        else { return }
        let file = try? await store.file(work.fileID)
        var progress = IngestionProgress(
            collection: work.collection, fileID: work.fileID, filename: file?.filename, status: .inProgress, filesDone: 0,
            filesTotal: 1, chunks: 0)
        publish(progress, owner: file?.ownerID)
        do {
            guard let file, let content = try await store.fileContent(work.fileID) else {
                throw HearthError(.notFound, "file \(work.fileID) was deleted")
            }
            let document = try await ingestor.ingest(file: file, content: content, into: work.collection, attributes: attachment.attributes)
            attachment.status = .completed
            attachment.bytes = file.bytes
            (progress.status, progress.filesDone, progress.chunks) = (.completed, 1, document.chunks)
        } catch {
            attachment.status = .failed
            attachment.error = (error as? HearthError)?.message ?? "\(error)"
            (progress.status, progress.error) = (.failed, attachment.error)
            logger.debug("upload ingestion failed", metadata: ["hearth.file": "\(work.fileID)", "error": "\(error)"])
        }
        // The attachment may have been removed meanwhile; then there is nothing to record.
        if (try? await store.attachment(fileID: work.fileID, in: work.collection)) != nil { try? await store.putAttachment(attachment) }
        publish(progress, owner: file?.ownerID)
    }

    /// Publishes how an upload's ingestion goes, for the user who uploaded it.
    private func publish(_ progress: IngestionProgress, owner: Int64?) {
        guard let events = ingestor.events, events.hasSubscribers else { return }
        events.publish(HearthEvent(.ingestion(progress), ownerID: owner))
    }
}
