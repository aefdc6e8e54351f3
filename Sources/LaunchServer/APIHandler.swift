import Foundation
import LaunchAPI
import LaunchModel

/// One API request, read: its operation, the caller's token, its path parameters, query and body.
struct APICall: Sendable {
    let operation: APIOperation
    let token: APIToken
    let parameters: [String: String]
    let query: [String: String]
    let body: Data

    func parameter(_ name: String) throws -> String {
        guard let value = parameters[name], !value.isEmpty else { throw ValidationFailure([ValidationIssue(path: name, message: "required")]) }
        return value
    }

    func decode<T: Codable>(_ type: T.Type) throws -> T {
        guard !body.isEmpty else { throw ValidationFailure([ValidationIssue(path: "", message: "a JSON body is required")]) }
        return try StrictJSON.decode(type, from: body)
    }

    func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = query[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ValidationFailure([ValidationIssue(path: name, message: "expected an integer from \(range.lowerBound) to \(range.upperBound), got \"\(text.escapedForMessage)\"")])
        }
        return value
    }

    /// `wait=30s`, `wait=2.5` (seconds), capped by the server.
    func wait(cap: Duration) throws -> Duration {
        guard let text = query["wait"] else { return .zero }
        let seconds = text.hasSuffix("s") ? Double(text.dropLast()) : Double(text)
        guard let seconds, seconds.isFinite, seconds >= 0 else {
            throw ValidationFailure([ValidationIssue(path: "wait", message: "expected seconds such as 30s, got \"\(text.escapedForMessage)\"")])
        }
        return min(cap, .milliseconds(Int(seconds * 1000)))
    }

    /// A token limited to some queues acts on those only.
    func requireQueue(_ queue: String) throws {
        guard token.allows(queue: queue) else {
            throw LaunchError.forbidden("token \(token.name) is limited to queues \((token.queues ?? []).joined(separator: ", ")); not \(queue)")
        }
    }
}

/// What a handler answers: a JSON body and its status.
struct APIReply: Sendable {
    var status: Int
    var body: Data
    /// Beside Content-Type: the `Link` to an item page's next page.
    var headers: [String: String] = [:]

    static func json<T: Encodable>(_ value: T, status: Int = 200) throws -> APIReply {
        APIReply(status: status, body: try WireCoding.encoder.encode(value))
    }
}

/// Each operation of the API, done on the backend. Writes signal the waiting requests (`ServerSignals`).
struct APIHandler: Sendable {
    let backend: any LaunchBackend
    let signals: ServerSignals
    let statuses: LiveAgentStatuses
    let authenticator: TokenAuthenticator
    let version: String
    let metrics: ServerMetrics
    /// The longest a long poll is held, whatever it asks.
    let maximumWait: Duration

    func handle(_ call: APICall) async throws -> APIReply {
        let reply = try await perform(call)
        if call.operation.method != .GET && call.operation.method != .HEAD {
            await signals.signal(Self.bringsWork(call.operation) ? .work : .change)
        }
        return reply
    }

    /// Writes after which an idle agent may find something to lease.
    static func bringsWork(_ operation: APIOperation) -> Bool {
        switch operation {
        case .enqueue, .enqueueBatch, .relaunchItem, .setQueuePaused, .createQueue, .updateQueueConfig, .reportState, .reclaimLeases,
             .updateAgent, .stopAgent:
            // A state report can hand an item back; an agent asked to drain must see its wait end.
            true
        default:
            false
        }
    }

    private func perform(_ call: APICall) async throws -> APIReply {
        switch call.operation {
        case .createJob:
            let request = try call.decode(CreateJobRequest.self)
            let result = try await backend.createJob(name: request.name, spec: request.spec)
            return try .json(CreateJobReply(version: result.version, created: result.created), status: result.created ? 201 : 200)
        case .listJobs:
            return try .json(try await backend.jobs())
        case .jobVersions:
            return try .json(try await backend.jobVersions(name: try call.parameter("name")))
        case .resolveJob:
            let version = try call.parameter("version")
            let number: Int?
            if version == "latest" {
                number = nil
            } else if let parsed = Int(version.hasPrefix("v") ? String(version.dropFirst()) : version), parsed >= 1 {
                number = parsed
            } else {
                throw ValidationFailure([ValidationIssue(path: "version", message: "expected a version number or latest, got \"\(version.escapedForMessage)\"")])
            }
            return try .json(try await backend.resolveJob(JobReference(name: try call.parameter("name"), version: number)))

        case .createQueue:
            let request = try call.decode(CreateQueueRequest.self)
            let config = try QueueConfig.parse(request.configText, target: request.target)
            return try .json(try await backend.createQueue(name: request.name, target: request.target, config: config), status: 201)
        case .listQueues:
            return try .json(try await backend.queues())
        case .getQueue:
            return try .json(try await backend.queue(named: try call.parameter("name")))
        case .queueDepths:
            return try .json(try await backend.queueDepths())
        case .updateQueueConfig:
            let name = try call.parameter("name")
            let request = try call.decode(UpdateQueueConfigRequest.self)
            let queue = try await backend.queue(named: name)
            let config = try QueueConfig.parse(request.configText, target: queue.target)
            return try .json(try await backend.updateQueueConfig(name: name, config: config, expectedVersion: request.expectedVersion))
        case .setQueuePaused:
            let name = try call.parameter("name")
            try call.requireQueue(name)
            return try .json(try await backend.setQueuePaused(name: name, paused: try call.decode(SetPausedRequest.self).paused))

        case .enqueue:
            let request = try call.decode(EnqueueRequest.self)
            try call.requireQueue(request.queue)
            return try .json(try await backend.enqueue(request), status: 201)
        case .enqueueBatch:
            let batch = try call.decode(EnqueueBatchRequest.self)
            for request in batch.requests { try call.requireQueue(request.queue) }
            return try .json(try await backend.enqueue(batch: batch.requests), status: 201)
        case .listItems:
            var states: Set<ItemState>?
            if let text = call.query["state"] {
                states = try Set(text.split(separator: ",").map { part in
                    guard let state = ItemState(rawValue: String(part)) else {
                        throw ValidationFailure([ValidationIssue(path: "state", message: "unknown state \"\(String(part).escapedForMessage)\"")])
                    }
                    return state
                })
            }
            let filter = ItemFilter(queue: call.query["queue"], states: states, agentID: call.query["agent"],
                                    limit: try call.integer("limit", in: 1...1_000_000))
            return try .json(try await backend.items(filter))
        case .getItem:
            return try .json(try await backend.item(id: try call.parameter("id")))
        case .cancelItem:
            let id = try call.parameter("id")
            if call.token.queues != nil { try call.requireQueue(try await backend.item(id: id).queue) }
            return try .json(try await backend.cancel(itemID: id))
        case .relaunchItem:
            let id = try call.parameter("id")
            if call.token.queues != nil { try call.requireQueue(try await backend.item(id: id).queue) }
            let key = call.body.isEmpty ? nil : try call.decode(RelaunchRequest.self).idempotencyKey
            return try .json(try await backend.relaunch(itemID: id, idempotencyKey: key), status: 201)
        case .itemRelaunches:
            return try .json(try await backend.relaunches(of: try call.parameter("id")))
        case .itemLogs:
            let id = try call.parameter("id")
            let tail = try call.integer("tail", in: 0...1_000_000)
            if let afterText = call.query["after"] {
                guard let after = Int64(afterText), after >= 0 else {
                    throw ValidationFailure([ValidationIssue(path: "after", message: "expected a line sequence number, got \"\(afterText.escapedForMessage)\"")])
                }
                return try .json(try await backend.logs(itemID: id, after: after, tail: tail ?? 100_000))
            }
            return try .json(try await backend.logs(itemID: id, tail: tail))

        case .registerAgent:
            let agent = try call.decode(Agent.self)
            for queue in agent.queues { try call.requireQueue(queue) }
            try await backend.registerAgent(agent)
            return try .json(try await backend.agent(id: agent.id), status: 201)
        case .updateAgent:
            let request = try call.decode(UpdateAgentRequest.self)
            let id = try call.parameter("id")
            try await backend.updateAgent(id: id, state: request.state, environment: request.environment)
            return try .json(try await backend.agent(id: id))
        case .listAgents:
            return try .json(try await backend.agents())
        case .getAgent:
            return try .json(try await backend.agent(id: try call.parameter("id")))
        case .stopAgent:
            return try .json(try await backend.requestAgentStop(try call.parameter("id")))
        case .agentStatuses:
            return try .json(statuses.statuses(ids: call.query["ids"].map { $0.split(separator: ",").map(String.init) }))

        case .lease:
            let request = try call.decode(LeaseRequest.self)
            for queue in request.queues { try call.requireQueue(queue) }
            return try .json(try await lease(request))
        case .heartbeat:
            let request = try call.decode(HeartbeatRequest.self)
            if let status = request.status, status.id == request.agent { statuses.record(status) }
            return try .json(try await backend.heartbeat(agent: request.agent, attempts: request.attempts, leaseFor: try Self.leaseSeconds(request.leaseSeconds)))
        case .reportState:
            let report = try call.decode(StateReport.self)
            if call.token.queues != nil { try call.requireQueue(try await backend.item(id: report.attempt.item).queue) }
            return try .json(try await backend.reportState(report.attempt, to: report.state, exitCode: report.exitCode, error: report.error))
        case .appendLog:
            let request = try call.decode(LogAppendRequest.self)
            if call.token.queues != nil { try call.requireQueue(try await backend.item(id: request.attempt.item).queue) }
            try await backend.appendLog(request.attempt, stream: request.stream, lines: request.lines)
            return APIReply(status: 204, body: Data())
        case .reportProgress:
            let report = try call.decode(ProgressReport.self)
            if call.token.queues != nil { try call.requireQueue(try await backend.item(id: report.attempt.item).queue) }
            guard report.current.isFinite, report.total.map(\.isFinite) ?? true else {
                throw ValidationFailure([ValidationIssue(path: "current", message: "must be a finite number")])
            }
            try await backend.reportProgress(report.attempt, phase: report.phase, current: report.current, total: report.total, message: report.message)
            return APIReply(status: 204, body: Data())
        case .reclaimLeases:
            return try .json(try await backend.reclaimExpiredLeases())

        case .changes:
            let since = try Int64(call.integer("since", in: 0...Int.max) ?? 0)
            let includingItems = call.query["items"].map { $0 != "false" } ?? true
            return try .json(try await changes(since: since, includingItems: includingItems, wait: try call.wait(cap: maximumWait)))
        case .changeCursor:
            return try .json(CursorReply(cursor: try await backend.changeCursor()))
        case .itemPage:
            let after = call.query["after"]
            if let after { _ = try ItemID.validatePrefix(after) }
            let limit = try call.integer("limit", in: 1...100_000) ?? 1000
            let page = try await backend.items(after: after, limit: limit)
            var reply = try APIReply.json(page)
            // The next page's address before the body is read (RFC 8288, as GitHub pages), so a client can ask for
            // it while it decodes this one. A short page is the last.
            if page.count == limit, let last = page.last {
                reply.headers["Link"] = "<\(APIOperation.itemPage.path)?after=\(last.id)&limit=\(limit)>; rel=\"next\""
            }
            return reply

        case .createToken:
            let request = try call.decode(CreateTokenRequest.self)
            return try .json(try await TokenIssuer.issue(request, in: backend), status: 201)
        case .listTokens:
            return try .json(try await backend.tokens())
        case .revokeToken:
            let token = try await backend.revokeToken(try call.parameter("id"))
            authenticator.forget(tokenID: token.id)
            return try .json(token)
        case .whoami:
            return try .json(WhoAmIReply(token: call.token, serverVersion: version, readOnlyReason: backend.readOnlyReason))

        case .putBlob, .getBlob, .headBlob:
            // Streamed by the server itself (BlobRoutes), never read whole into memory.
            throw LaunchError.storage("blob routes are not JSON operations")
        }
    }

    static func leaseSeconds(_ seconds: Double) throws -> TimeInterval {
        guard seconds.isFinite, (1...86_400).contains(seconds) else {
            throw ValidationFailure([ValidationIssue(path: "leaseSeconds", message: "must be 1 to 86400 seconds")])
        }
        return seconds
    }

    /// Leases at once when there is work; else holds the request until work arrives, the agent is asked to drain,
    /// or the wait is over.
    func lease(_ request: LeaseRequest) async throws -> [LaunchItem] {
        let leaseFor = try Self.leaseSeconds(request.leaseSeconds)
        guard (0...1000).contains(request.max) else {
            throw ValidationFailure([ValidationIssue(path: "max", message: "must be 0 to 1000")])
        }
        let wait = min(maximumWait, .milliseconds(Int(max(0, min(request.waitSeconds ?? 0, 3600)) * 1000)))
        let deadline = ContinuousClock.now + wait
        while true {
            let generation = await signals.generation(.work)
            let asked = ContinuousClock.now
            let items = try await backend.lease(agent: request.agent, queues: request.queues, max: request.max, leaseFor: leaseFor)
            metrics.leased(items, took: ContinuousClock.now - asked)
            if !items.isEmpty { return items }
            let left = deadline - ContinuousClock.now
            if left <= .zero || Task.isCancelled { return [] }
            if let agent = try? await backend.agent(id: request.agent), agent.state == .draining || agent.state == .stopped { return [] }
            await signals.wait(.work, after: generation, timeout: left)
        }
    }

    func changes(since cursor: Int64, includingItems: Bool, wait: Duration) async throws -> ChangeSet {
        let deadline = ContinuousClock.now + wait
        while true {
            let generation = await signals.generation(.change)
            let changes = try await backend.changes(since: cursor, includingItems: includingItems)
            let left = deadline - ContinuousClock.now
            if !changes.isEmpty || left <= .zero || Task.isCancelled { return changes }
            await signals.wait(.change, after: generation, timeout: left)
        }
    }
}
