import Foundation
import LaunchModel

/// Job versions: created from their content, listed and resolved by reference.
public protocol JobCatalog: Sendable {
    /// Creates the next version, or returns the latest one unchanged when its content is equal.
    func createJob(name: String, spec: JobSpec) async throws -> (version: JobVersion, created: Bool)
    func jobs() async throws -> [JobSummary]
    func jobVersions(name: String) async throws -> [JobVersion]
    func resolveJob(_ reference: JobReference) async throws -> JobVersion
}

/// Queues and their configurations.
public protocol QueueCatalog: Sendable {
    func createQueue(name: String, target: TargetKind, config: QueueConfig) async throws -> Queue
    func queues() async throws -> [Queue]
    func queue(named name: String) async throws -> Queue
    func queueDepths() async throws -> [String: QueueDepth]
    /// Saves over `expectedVersion` only (compare and swap): an edit that started from an older version fails with
    /// `LaunchError.conflict` rather than throw the other change away. Nil saves over whatever is there.
    func updateQueueConfig(name: String, config: QueueConfig, expectedVersion: Int?) async throws -> Queue
    func setQueuePaused(name: String, paused: Bool) async throws -> Queue
}

/// Items: enqueued, listed, cancelled, relaunched, and their logs.
public protocol ItemStore: Sendable {
    func enqueue(_ request: EnqueueRequest) async throws -> LaunchItem
    /// All or nothing: one bad request leaves the queue untouched.
    func enqueue(batch requests: [EnqueueRequest]) async throws -> [LaunchItem]
    func items(_ filter: ItemFilter) async throws -> [LaunchItem]
    /// By full id or unique prefix.
    func item(id: String) async throws -> LaunchItem
    func cancel(itemID: String) async throws -> LaunchItem
    /// A new item with the same job version, overrides and priority; `relaunchOf` points back. A second relaunch
    /// with the same idempotency key returns the first one's item.
    func relaunch(itemID: String, idempotencyKey: String?) async throws -> LaunchItem
    /// Items relaunched from this one (by `relaunch`, or enqueued with `relaunchOf`), oldest first.
    func relaunches(of itemID: String) async throws -> [LaunchItem]
    func logs(itemID: String, tail: Int?) async throws -> [LogLine]
    /// The newest `tail` lines after `sequence`: what a follower that already has everything up to it lacks.
    func logs(itemID: String, after sequence: Int64, tail: Int) async throws -> [LogLine]
}

/// The agents: their records, and asking one to stop.
public protocol AgentDirectory: Sendable {
    func registerAgent(_ agent: Agent) async throws
    func updateAgent(id: String, state: AgentState, environment: AgentEnvironment?) async throws
    func agents() async throws -> [Agent]
    /// By id, by name (the live one of that name), or by unique id prefix (`Agent.pick`).
    func agent(id: String) async throws -> Agent
    /// Asks a live agent to drain and stop; it hears so on its next heartbeat, wherever it runs.
    @discardableResult
    func requestAgentStop(_ reference: String) async throws -> Agent
}

/// The agent's side of an item's life: leases, heartbeats and the reports of each attempt.
public protocol AgentLeasing: Sendable {
    /// Atomically takes up to `max` items, highest priority first and FIFO within a priority.
    func lease(agent: String, queues: [String], max: Int, leaseFor: TimeInterval) async throws -> [LaunchItem]
    /// The same, but when there is nothing to take, waits up to `wait` for work to arrive and takes it then, or
    /// returns nothing sooner when the agent is asked to drain. Only backends with `leaseWaitsForWork` wait (the
    /// server holds the request); the embedded store answers at once, and its agents wait on their doorbell.
    func lease(agent: String, queues: [String], max: Int, leaseFor: TimeInterval, waitingUpTo wait: Duration) async throws -> [LaunchItem]
    var leaseWaitsForWork: Bool { get }
    /// Extends the leases of the attempts still current; the others come back as revoked.
    func heartbeat(agent: String, attempts: [ItemAttempt], leaseFor: TimeInterval) async throws -> HeartbeatReply
    /// The same, carrying the agent's live status for dashboards elsewhere. The embedded store has no use for it
    /// (the agents of its machine serve theirs on status sockets).
    func heartbeat(agent: String, attempts: [ItemAttempt], leaseFor: TimeInterval, status: AgentStatus?) async throws -> HeartbeatReply
    /// Every report names its attempt, and only the current attempt's are accepted (`ItemLifecycle.report`).
    @discardableResult
    func reportState(_ attempt: ItemAttempt, to state: ItemState, exitCode: Int?, error: String?) async throws -> LaunchItem
    func appendLog(_ attempt: ItemAttempt, stream: LogStream, lines: [String]) async throws
    func reportProgress(_ attempt: ItemAttempt, phase: String, current: Double, total: Double?, message: String) async throws
    /// Returns expired leases to their queues (or fails them with no attempts left).
    @discardableResult
    func reclaimExpiredLeases() async throws -> [LaunchItem]
}

extension ItemStore {
    public func relaunch(itemID: String) async throws -> LaunchItem {
        try await relaunch(itemID: itemID, idempotencyKey: nil)
    }
}

extension AgentLeasing {
    public var leaseWaitsForWork: Bool { false }

    public func heartbeat(agent: String, attempts: [ItemAttempt], leaseFor: TimeInterval, status: AgentStatus?) async throws -> HeartbeatReply {
        try await heartbeat(agent: agent, attempts: attempts, leaseFor: leaseFor)
    }

    public func lease(agent: String, queues: [String], max: Int, leaseFor: TimeInterval, waitingUpTo wait: Duration) async throws -> [LaunchItem] {
        try await lease(agent: agent, queues: queues, max: max, leaseFor: leaseFor)
    }
}

/// What changed since a cursor, for pollers (the dashboard, `wait`).
public protocol ChangeFeed: Sendable {
    /// Rows changed after `cursor`; pass the returned cursor next time. Cursor 0 means everything.
    func changes(since cursor: Int64) async throws -> ChangeSet
    /// The same without items (queues, agents and the cursor), for a first load that pages its items.
    func changes(since cursor: Int64, includingItems: Bool) async throws -> ChangeSet
    /// Items in id order (enqueue order) after `id`, a page at a time.
    func items(after id: String?, limit: Int) async throws -> [LaunchItem]
    /// Every item in id order, `limit` at a time: what a first load reads. A backend that learns where the next page
    /// starts before it has decoded this one (the HTTP client, from each page's `Link`) asks for it at once, so the
    /// server writes one page while the client reads the one before.
    func itemPages(limit: Int) -> AsyncThrowingStream<[LaunchItem], any Error>
    /// The change counter alone: it moves with every write, so a waiter can tell cheaply whether to look again.
    func changeCursor() async throws -> Int64
    /// Changes after `cursor`, waiting up to `wait` for the first when there are none yet (a long poll). Backends
    /// that cannot wait (`changesWait` false) answer at once.
    func changes(since cursor: Int64, includingItems: Bool, waitingUpTo wait: Duration) async throws -> ChangeSet
    var changesWait: Bool { get }
}

extension ChangeFeed {
    public var changesWait: Bool { false }

    /// One page after the other.
    public func itemPages(limit: Int) -> AsyncThrowingStream<[LaunchItem], any Error> {
        let cursor = PageCursor()
        return AsyncThrowingStream {
            guard let after = await cursor.next else { return nil }
            let page = try await items(after: after.id, limit: limit)
            await cursor.read(page, limit: limit)
            return page.isEmpty ? nil : page
        }
    }

    public func changes(since cursor: Int64, includingItems: Bool, waitingUpTo wait: Duration) async throws -> ChangeSet {
        try await changes(since: cursor, includingItems: includingItems)
    }
}

/// The one interface the rest of LaunchDeck uses for state, made of its roles so that a client that needs one (an
/// agent leasing, a dashboard following changes) can say so. Implemented by the embedded SQLite store and, later, by
/// the HTTP client of `launchdeck server`; this module knows no storage.
public protocol LaunchBackend: JobCatalog, QueueCatalog, ItemStore, AgentDirectory, AgentLeasing, ChangeFeed, TokenCatalog {
    /// Where the state is, as a user would name it: the data directory, or the server's URL. The dashboard's title
    /// bar shows it, so nobody mistakes one backend for another.
    var location: String { get }
    /// Why nothing can be changed through this backend (a read-only mount, a viewer's token), or nil.
    var readOnlyReason: String? { get }
}
