import Foundation
import HTTPTypes
import HearthCore
import HearthServices
import Hummingbird
import Logging

/// Gives every request an id (the client's `X-Request-Id` when it sent a sane one), puts it
/// in the request's logger as `hearth.request.id` and in the response's `X-Request-Id`, and
/// logs one info line per request when its answer is written: method, route, status,
/// latency, and the model and tokens when it generated (`RequestRecord`); the same, without
/// content, goes to `/hearth/events` for an API request.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Where a request that used a model is accounted.
    let usage: UsageService
    /// Where requests are counted by key.
    let metrics: Metrics
    /// Where each answered API request is announced (`/hearth/events`).
    let events: EventService

    static var header: HTTPField.Name { HTTPField.Name("X-Request-Id")! }
    /// The provider that served the generation (`local`, or a configured remote one).
    static var providerHeader: HTTPField.Name { HTTPField.Name("X-Hearth-Provider")! }
    /// `semantic`: the answer to a question that means the same may do.
    static var cacheHeader: HTTPField.Name { HTTPField.Name("X-Hearth-Cache")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let id = request.headers[Self.header].flatMap(Self.acceptable) ?? Self.newID()
        var context = context
        context.logger[metadataKey: "hearth.request.id"] = .string(id)
        let record = RequestRecord()
        let logger = context.logger
        let route = context.endpointPath ?? request.uri.path
        let choice = RoutingChoice(
            wantsFreshAnswer: request.headers[.cacheControl].map { $0.contains("no-cache") || $0.contains("no-store") } ?? false,
            wantsSimilarAnswer: request.headers[Self.cacheHeader]?.lowercased() == "semantic")
        // The UI's files, health checks and the event stream itself are not news.
        let path = request.uri.path
        let announced = !(path == "/" || path.hasPrefix("/ui/") || path == "/health" || path == "/hearth/events")
        @Sendable func log(_ status: Int) {
            let milliseconds = (ContinuousClock.now - started).seconds * 1000
            var metadata: Logger.Metadata = [
                "hearth.method": .string(request.method.rawValue), "hearth.route": .string(route),
                "hearth.status": .stringConvertible(status), "hearth.latency_ms": .string(String((milliseconds * 10).rounded() / 10)),
            ]
            let values = record.snapshot
            if let model = values.model { metadata["hearth.model"] = .string(model) }
            if let usage = values.usage {
                metadata["hearth.tokens.prompt"] = .stringConvertible(usage.promptTokens)
                metadata["hearth.tokens.completion"] = .stringConvertible(usage.completionTokens)
            }
            if let principal = values.principal { metadata["hearth.principal"] = .string(principal.name) }
            logger.info("request", metadata: metadata)
            if let deployment = choice.deployment, (200..<300).contains(status) {
                self.metrics.recordDeployment(deployment, seconds: milliseconds / 1000, retries: choice.retries)
            }
            if let principal = values.principal, let key = principal.key {
                self.metrics.recordKey(
                    id: key.id, user: principal.name, promptTokens: values.usage?.promptTokens ?? 0,
                    completionTokens: values.usage?.completionTokens ?? 0)
            }
            if announced {
                self.events.requestAnswered(
                    RequestSummary(
                        id: id, method: request.method.rawValue, route: route, status: status, milliseconds: milliseconds,
                        model: values.model, promptTokens: values.usage?.promptTokens ?? 0,
                        completionTokens: values.usage?.completionTokens ?? 0, user: values.principal?.name ?? "anonymous",
                        provider: choice.provider, firstTokenMilliseconds: values.firstToken.map { $0 * 1000 }),
                    by: values.principal)
            }
            if let model = values.model, let principal = values.principal {
                self.usage.record(
                    principal, model: model, promptTokens: values.usage?.promptTokens ?? 0,
                    completionTokens: values.usage?.completionTokens ?? 0, milliseconds: milliseconds, status: status)
            }
        }
        do {
            var response = try await RoutingChoice.$current.withValue(choice) {
                try await RequestRecord.$current.withValue(record) { try await next(request, context) }
            }
            response.headers[Self.header] = id
            if let provider = choice.provider { response.headers[Self.providerHeader] = provider }
            metrics.recordRouting(provider: choice.provider, failures: choice.failures)
            for lookup in choice.cacheLookups { metrics.recordCacheLookup(kind: lookup.kind, hit: lookup.hit) }
            // Logged once the answer is written: a stream's tokens are known only at its end.
            let body = response.body
            let status = response.status.code
            response.body = ResponseBody(contentLength: body.contentLength) { writer in
                do {
                    try await body.write(writer)
                    log(status)
                } catch {
                    log(499)
                    throw error
                }
            }
            return response
        } catch let error as any HTTPResponseError {
            metrics.recordRouting(provider: nil, failures: choice.failures)
            var response = try error.response(from: request, context: context)
            response.headers[Self.header] = id
            log(response.status.code)
            return response
        } catch {
            log(500)
            throw error
        }
    }

    /// A client's id when it is short and printable, so that it can go into logs as it is.
    static func acceptable(_ id: String) -> String? {
        id.count <= 128 && !id.isEmpty && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) } ? id : nil
    }

    /// 16 random hex digits.
    static func newID() -> String {
        let hex = String(UInt64.random(in: .min ... .max), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
