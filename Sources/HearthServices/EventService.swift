import Foundation
import HearthCore

/// The server's events for whoever listens (`/hearth/events`, `/hearth/ws`, the dashboard):
/// each answered request, every second what the loaded models are doing, models loaded and
/// unloaded, ingestion progress. A user hears about their own requests and ingestions and the
/// models they may use; an administrator hears everything, including the requests of nobody
/// signed in (sign-in attempts).
public struct EventService: Sendable {
    let bus: any EventBus
    let system: SystemService
    /// The last hour of the models' activity, for dashboards opened now.
    let history = StatsHistory()

    public init(bus: any EventBus, system: SystemService) {
        self.bus = bus
        self.system = system
    }

    /// Publishes that a request was answered (the request log does, once per request); the
    /// summary is made only when anyone listens.
    public func requestAnswered(_ summary: @autoclosure () -> RequestSummary, by principal: Principal?) {
        guard bus.hasSubscribers else { return }
        bus.publish(HearthEvent(.request(summary()), ownerID: principal?.user?.id))
    }

    /// Keeps what the loaded models are doing in the last hour's history and publishes it,
    /// when anyone listens (the server calls it every second).
    public func publishStats(at time: Date = Date()) async {
        let models = await system.loadedModels(by: .local)
        history.record(models, at: time)
        guard bus.hasSubscribers else { return }
        bus.publish(HearthEvent(.stats(models), time: time))
    }

    /// The last hour of the activity of the models `principal` may use, in 10-second buckets.
    public func statsHistory(by principal: Principal) -> [String: [StatsHistory.Sample]] {
        history.series(where: principal.mayUse)
    }

    /// Ends every listener's stream (the server is shutting down).
    public func close() { bus.close() }

    /// The topics `names` asks for.
    /// - Throws: `HearthError.invalidRequest` for a name that is not a topic.
    public static func topics(_ names: some Sequence<some StringProtocol>) throws -> Set<String> {
        let topics = Set(names.map { $0.trimmingCharacters(in: .whitespaces) })
        guard topics.isSubset(of: HearthEvent.topics) else {
            throw HearthError.invalidRequest("the topics are \(HearthEvent.topics.sorted().joined(separator: ", "))", field: "topics")
        }
        return topics
    }

    /// The events of `topics` (nil: all) that `principal` may see, from now on.
    public func events(topics: Set<String>?, by principal: Principal) -> AsyncCompactMapSequence<AsyncStream<HearthEvent>, HearthEvent> {
        bus.subscribe().compactMap { event in
            guard topics?.contains(event.topic) ?? true else { return nil }
            switch event.body {
            case .request:
                // A request nobody signed in for (a sign-in attempt) is the administrators' only.
                return principal.isAdmin || (event.ownerID != nil && event.ownerID == principal.user?.id) ? event : nil
            case .stats(let models):
                var mine = event
                mine.body = .stats(models.filter { principal.mayUse($0.name) })
                return mine
            case .model(var change):
                guard principal.mayUse(change.name) else { return nil }
                // Why a load failed can name the server's files: the administrators' to read.
                guard !principal.isAdmin, change.error != nil else { return event }
                change.error = "the model could not be loaded"
                var told = event
                told.body = .model(change)
                return told
            case .ingestion(let progress):
                // Another user's uploads and collections are theirs (an admin sees all); a key
                // limited to some collections hears of those only.
                return principal.owns(event.ownerID) && principal.keyAllows(progress.collection) ? event : nil
            }
        }
    }
}
