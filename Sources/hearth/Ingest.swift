import ArgumentParser
import Foundation
import HearthCore
import HearthWire

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
            let request = KnowledgeWire.IngestRequest(
                collection: collection, paths: paths.map { URL(filePath: $0).standardizedFileURL.path }, sync: sync,
                maxFileBytes: try ByteSize.bytes(maxFileSize, field: "--max-file-size"), embeddingModel: embeddingModel,
                resume: resume)
            do {
                let resumed = try await Connection.run(try engine.configuration()) { client in
                    var resumed = false
                    let progress = Progress()
                    for try await event in client.ingest(request) {
                        guard let job = event.job else { continue }
                        switch event.event {
                        case "interrupted":
                            print("note: job \(job.id) into '\(job.collection)' was interrupted; `hearth ingest --resume` finishes it")
                        case "started":
                            if request.resume == true {
                                print("resuming job \(job.id) into '\(job.collection)' (\(job.paths.joined(separator: ", ")))")
                            }
                            resumed = true
                            progress.start(job)
                        case "finished":
                            progress.update(job)
                            Self.report(job, rate: progress.rate(job))
                        default:
                            progress.update(job)
                        }
                    }
                    return resumed
                }
                if resume && !resumed { print("no interrupted ingestion to resume") }
            } catch {
                throw fail(error)
            }
        }

        /// Prints what the job did; `rate` counts only the chunks made by this run.
        static func report(_ job: KnowledgeWire.Job, rate: Double) {
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

/// The ingestion's progress bar: files, chunks so far and their rate, time left. Rates count
/// this run only (a resumed job started with files and chunks done).
private final class Progress {
    private var bar: ProgressBar?
    private var started = Date()
    private var before = (files: 0, chunks: 0)

    func start(_ job: KnowledgeWire.Job) {
        started = Date()
        before = (job.filesDone, job.chunks)
        bar = ProgressBar("ingesting", total: Int64(job.filesTotal), unit: .items("files"))
        update(job)
    }

    /// Chunks a second since the job started.
    func rate(_ job: KnowledgeWire.Job) -> Double {
        Double(job.chunks - before.chunks) / max(Date().timeIntervalSince(started), 0.001)
    }

    func update(_ job: KnowledgeWire.Job) {
        bar?.update(
            Int64(job.filesDone), resumedFrom: Int64(before.files),
            detail: "\(job.chunks) chunks (" + String(format: "%.1f", rate(job)) + "/s)")
        if job.status == .completed { bar?.finish("done") }
    }
}
