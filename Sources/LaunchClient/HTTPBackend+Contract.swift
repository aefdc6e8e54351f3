import Foundation
import LaunchAPI
import LaunchModel

// Each contract operation as its API call (APIOperation). Enqueues and relaunches carry an idempotency key made
// once per call, so the retries of one call cannot enqueue twice.

extension HTTPBackend {
    public func createJob(name: String, spec: JobSpec) async throws -> (version: JobVersion, created: Bool) {
        let reply: CreateJobReply = try await call(.createJob, body: CreateJobRequest(name: name, spec: spec))
        return (reply.version, reply.created)
    }

    public func jobs() async throws -> [JobSummary] { try await call(.listJobs) }

    public func jobVersions(name: String) async throws -> [JobVersion] { try await call(.jobVersions, ["name": name]) }

    public func resolveJob(_ reference: JobReference) async throws -> JobVersion {
        try await call(.resolveJob, ["name": reference.name, "version": reference.version.map(String.init) ?? "latest"])
    }

    public func createQueue(name: String, target: TargetKind, config: QueueConfig) async throws -> Queue {
        try await call(.createQueue, body: CreateQueueRequest(name: name, target: target, configText: config.text))
    }

    public func queues() async throws -> [Queue] { try await call(.listQueues) }

    public func queue(named name: String) async throws -> Queue { try await call(.getQueue, ["name": name]) }

    public func queueDepths() async throws -> [String: QueueDepth] { try await call(.queueDepths) }

    public func updateQueueConfig(name: String, config: QueueConfig, expectedVersion: Int?) async throws -> Queue {
        try await call(.updateQueueConfig, ["name": name], body: UpdateQueueConfigRequest(configText: config.text, expectedVersion: expectedVersion))
    }

    public func setQueuePaused(name: String, paused: Bool) async throws -> Queue {
        try await call(.setQueuePaused, ["name": name], body: SetPausedRequest(paused: paused))
    }

    public func enqueue(_ request: EnqueueRequest) async throws -> LaunchItem {
        var request = request
        if request.idempotencyKey == nil { request.idempotencyKey = UUID().uuidString }
        return try await call(.enqueue, body: request)
    }

    public func enqueue(batch requests: [EnqueueRequest]) async throws -> [LaunchItem] {
        let batchKey = UUID().uuidString
        let keyed = requests.enumerated().map { index, request in
            var request = request
            if request.idempotencyKey == nil { request.idempotencyKey = "\(batchKey)/\(index)" }
            return request
        }
        return try await call(.enqueueBatch, body: EnqueueBatchRequest(requests: keyed))
    }

    public func items(_ filter: ItemFilter) async throws -> [LaunchItem] {
        try await call(.listItems, query: [
            "queue": filter.queue, "state": filter.states.map { $0.map(\.rawValue).sorted().joined(separator: ",") },
            "agent": filter.agentID, "limit": filter.limit.map(String.init),
        ])
    }

    public func item(id: String) async throws -> LaunchItem { try await call(.getItem, ["id": id]) }

    public func cancel(itemID: String) async throws -> LaunchItem {
        try await call(.cancelItem, ["id": itemID], body: NoBody())
    }

    public func relaunch(itemID: String, idempotencyKey: String?) async throws -> LaunchItem {
        try await call(.relaunchItem, ["id": itemID], body: RelaunchRequest(idempotencyKey: idempotencyKey ?? UUID().uuidString))
    }

    public func relaunches(of itemID: String) async throws -> [LaunchItem] { try await call(.itemRelaunches, ["id": itemID]) }

    public func logs(itemID: String, tail: Int?) async throws -> [LogLine] {
        try await call(.itemLogs, ["id": itemID], query: ["tail": tail.map(String.init)])
    }

    public func logs(itemID: String, after sequence: Int64, tail: Int) async throws -> [LogLine] {
        try await call(.itemLogs, ["id": itemID], query: ["after": String(sequence), "tail": String(tail)])
    }

    public func registerAgent(_ agent: Agent) async throws {
        let _: Agent = try await call(.registerAgent, body: agent)
    }

    public func updateAgent(id: String, state: AgentState, environment: AgentEnvironment?) async throws {
        let _: Agent = try await call(.updateAgent, ["id": id], body: UpdateAgentRequest(state: state, environment: environment))
    }

    public func agents() async throws -> [Agent] { try await call(.listAgents) }

    public func agent(id: String) async throws -> Agent { try await call(.getAgent, ["id": id]) }

    @discardableResult
    public func requestAgentStop(_ reference: String) async throws -> Agent {
        try await call(.stopAgent, ["id": reference], body: NoBody())
    }

    public func lease(agent: String, queues: [String], max: Int, leaseFor: TimeInterval) async throws -> [LaunchItem] {
        try await lease(agent: agent, queues: queues, max: max, leaseFor: leaseFor, waitingUpTo: .zero)
    }

    public func lease(agent: String, queues: [String], max: Int, leaseFor: TimeInterval, waitingUpTo wait: Duration) async throws -> [LaunchItem] {
        let seconds = Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18
        return try await call(.lease, body: LeaseRequest(agent: agent, queues: queues, max: max, leaseSeconds: leaseFor, waitSeconds: seconds),
                              extraTime: wait)
    }

    public func heartbeat(agent: String, attempts: [ItemAttempt], leaseFor: TimeInterval) async throws -> HeartbeatReply {
        try await heartbeat(agent: agent, attempts: attempts, leaseFor: leaseFor, status: nil)
    }

    public func heartbeat(agent: String, attempts: [ItemAttempt], leaseFor: TimeInterval, status: AgentStatus?) async throws -> HeartbeatReply {
        try await call(.heartbeat, body: HeartbeatRequest(agent: agent, attempts: attempts, leaseSeconds: leaseFor, status: status))
    }

    @discardableResult
    public func reportState(_ attempt: ItemAttempt, to state: ItemState, exitCode: Int?, error: String?) async throws -> LaunchItem {
        try await call(.reportState, body: StateReport(attempt: attempt, state: state, exitCode: exitCode, error: error))
    }

    public func appendLog(_ attempt: ItemAttempt, stream: LogStream, lines: [String]) async throws {
        try await callWithoutReply(.appendLog, body: LogAppendRequest(attempt: attempt, stream: stream, lines: lines))
    }

    public func reportProgress(_ attempt: ItemAttempt, phase: String, current: Double, total: Double?, message: String) async throws {
        try await callWithoutReply(.reportProgress, body: ProgressReport(attempt: attempt, phase: phase, current: current, total: total, message: message))
    }

    @discardableResult
    public func reclaimExpiredLeases() async throws -> [LaunchItem] {
        try await call(.reclaimLeases, body: NoBody())
    }

    public func changes(since cursor: Int64) async throws -> ChangeSet {
        try await changes(since: cursor, includingItems: true)
    }

    public func changes(since cursor: Int64, includingItems: Bool) async throws -> ChangeSet {
        try await changes(since: cursor, includingItems: includingItems, waitingUpTo: .zero)
    }

    public func changes(since cursor: Int64, includingItems: Bool, waitingUpTo wait: Duration) async throws -> ChangeSet {
        let seconds = Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18
        return try await call(.changes, query: ["since": String(cursor), "items": includingItems ? nil : "false",
                                                "wait": wait > .zero ? String(format: "%.3fs", seconds) : nil],
                              extraTime: wait)
    }

    public func items(after id: String?, limit: Int) async throws -> [LaunchItem] {
        try await call(.itemPage, query: ["after": id, "limit": String(limit)])
    }

    public func itemPages(limit: Int) -> AsyncThrowingStream<[LaunchItem], any Error> {
        let pager = ItemPager(backend: self, limit: limit)
        return AsyncThrowingStream { try await pager.next() }
    }

    public func changeCursor() async throws -> Int64 {
        let reply: CursorReply = try await call(.changeCursor)
        return reply.cursor
    }

    public func createToken(_ token: APIToken, secretHash: String) async throws {
        throw LaunchError.invalidInput("tokens are made by the server: use createToken(name:role:queues:expiresAt:)")
    }

    /// A new token, made by the server; its secret is in the reply, once.
    public func createToken(name: String, role: APIRole, queues: [String]?, expiresAt: Date?) async throws -> CreateTokenReply {
        try await call(.createToken, body: CreateTokenRequest(name: name, role: role, queues: queues, expiresAt: expiresAt))
    }

    public func token(secretHash: String) async throws -> (token: APIToken, secretHash: String)? {
        throw LaunchError.forbidden("tokens are looked up by the server only")
    }

    public func tokens() async throws -> [APIToken] { try await call(.listTokens) }

    @discardableResult
    public func revokeToken(_ reference: String) async throws -> APIToken {
        try await call(.revokeToken, ["id": reference])
    }

    /// The live statuses the server has from heartbeats: of these agents, or of all when nil.
    public func agentStatuses(ids: [String]?) async throws -> [AgentStatus] {
        try await call(.agentStatuses, query: ["ids": ids?.joined(separator: ",")])
    }
}
