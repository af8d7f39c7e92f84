import ArgumentParser
import Foundation
import HearthApp
import HearthCore
import HearthKnowledge

extension Hearth {
    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add files and folders to a knowledge-base collection.",
            discussion: """
                Folders are walked recursively, honouring .gitignore; hidden files, symbolic links and
                files no loader reads are left out. Loaders: text, Markdown, HTML, PDF (pdftotext),
                source code, man pages. Unchanged files are skipped (content hash), changed ones
                replaced. A job stopped half-way (Ctrl-C, a crash) resumes with --resume or by
                running the same command again.

                Examples:
                  hearth ingest ~/notes -c notes
                  hearth ingest /usr/share/man/man1 -c man --max-file-size 1MB
                  hearth ingest docs README.md -c project --sync
                  hearth ingest --resume
                """)

        @Argument(help: "Files and folders to ingest.")
        var paths: [String] = []

        @Option(name: [.short, .customLong("collection")], help: "The collection (created when new).")
        var collection: String?

        @Flag(help: "Also remove documents whose files are gone from these paths.")
        var sync = false

        @Option(name: .customLong("max-file-size"), help: "Leave out (and report) files larger than this (default 10MB).")
        var maxFileSize = "10MB"

        @Option(name: .customLong("embedding-model"), help: "Embedding model for a new collection (HEARTH_EMBEDDING_MODEL).")
        var embeddingModel: String?

        @Flag(help: "Finish jobs that were interrupted (of the collection, or all).")
        var resume = false

        @OptionGroup var engine: EngineFlags

        func validate() throws {
            if !resume {
                guard !paths.isEmpty else { throw ValidationError("name at least one file or folder to ingest") }
                guard collection != nil else { throw ValidationError("name the collection with -c NAME") }
            }
            if let collection { try KnowledgeCollection.validate(name: collection) }
            _ = try ByteSize.bytes(maxFileSize, field: "--max-file-size")
        }

        func run() async throws {
            do {
                let runtime = try Runtime(try engine.configuration(), parallel: 1)
                let ingestor = runtime.knowledge.ingestor
                let interrupted = try await ingestor.interruptedJobs(in: collection)
                let started = Date()
                if resume {
                    guard !interrupted.isEmpty else {
                        print("no interrupted ingestion to resume")
                        return
                    }
                    for job in interrupted {
                        print("resuming job \(job.id) into '\(job.collection)' (\(job.paths.joined(separator: ", ")))")
                        try await report(try await ingestor.run(job, progress: Progress().update), since: started, chunksBefore: job.chunks)
                    }
                    return
                }
                for job in interrupted {
                    print("note: job \(job.id) into '\(job.collection)' was interrupted; `hearth ingest --resume` finishes it")
                }
                let name = collection!
                _ = try await ingestor.collection(name, embeddingModel: embeddingModel ?? runtime.knowledge.embeddingModel)
                let job = IngestionJob(
                    collection: name, paths: paths.map { URL(filePath: $0).standardizedFileURL.path }, sync: sync,
                    maxFileBytes: try ByteSize.bytes(maxFileSize, field: "--max-file-size"))
                try await report(try await ingestor.run(job, progress: Progress().update), since: started)
            } catch let error as HearthError {
                throw fail(error)
            }
        }

        /// Prints what the job did; the rate counts only the chunks made since `started`.
        private func report(_ job: IngestionJob, since started: Date, chunksBefore: Int = 0) async throws {
            let elapsed = max(Date().timeIntervalSince(started), 0.001)
            let rate = Double(job.chunks - chunksBefore) / elapsed
            var summary = "'\(job.collection)': \(job.filesIngested) files ingested"
            summary += " (\(job.chunks) chunks, \(String(format: "%.1f", rate)) chunks/s)"
            if job.filesUnchanged > 0 { summary += ", \(job.filesUnchanged) unchanged" }
            if job.removed > 0 { summary += ", \(job.removed) removed" }
            if job.unsupported > 0 { summary += ", \(job.unsupported) of kinds no loader reads left out" }
            print(summary)
            if !job.problems.isEmpty {
                print("\(job.problems.count) skipped:")
                for problem in job.problems.prefix(50) { print("  \(problem.path): \(problem.reason)") }
                if job.problems.count > 50 {
                    print("  … and \(job.problems.count - 50) more (`hearth collections show \(job.collection)`)")
                }
            }
        }
    }
}

/// The ingestion's progress bar: files, chunks so far and their rate, time left.
private final class Progress: @unchecked Sendable {
    private var bar: ProgressBar?
    private let started = Date()
    /// Files and chunks done before this run (a resumed job), so rates count this run only.
    private var before: (files: Int, chunks: Int)?

    func update(_ job: IngestionJob) {
        if bar == nil { bar = ProgressBar("ingesting", total: Int64(job.filesTotal), unit: .items("files")) }
        let before = self.before ?? (job.filesDone, job.chunks)
        self.before = before
        let rate = Double(job.chunks - before.chunks) / max(Date().timeIntervalSince(started), 0.001)
        bar?.update(
            Int64(job.filesDone), resumedFrom: Int64(before.files),
            detail: "\(job.chunks) chunks (" + String(format: "%.1f", rate) + "/s)")
        if job.status == .completed { bar?.finish("done") }
    }
}
