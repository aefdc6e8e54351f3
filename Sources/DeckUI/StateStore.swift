import Foundation
import LaunchAgent
import LaunchModel
import LaunchStore

/// What the state store reads: the backend's change feed and job list, and agents' status sockets.
public protocol SnapshotSource: Sendable {
    func changes(since cursor: Int64) async throws -> ChangeSet
    func jobs() async throws -> [JobSummary]
    func logs(itemID: String, tail: Int?) async throws -> [LogLine]
    func agentStatuses() async -> [String: AgentStatus]
}

/// Any backend is a source; agent statuses come from the sockets in the runtime directory.
public struct BackendSource: SnapshotSource {
    public let backend: any LaunchBackend
    public let runtime: RuntimeDirectory?

    public init(backend: any LaunchBackend, runtime: RuntimeDirectory?) {
        self.backend = backend
        self.runtime = runtime
    }

    public func changes(since cursor: Int64) async throws -> ChangeSet { try await backend.changes(since: cursor) }
    public func jobs() async throws -> [JobSummary] { try await backend.jobs() }
    public func logs(itemID: String, tail: Int?) async throws -> [LogLine] { try await backend.logs(itemID: itemID, tail: tail) }

    public func agentStatuses() async -> [String: AgentStatus] {
        guard let runtime else { return [:] }
        var statuses: [String: AgentStatus] = [:]
        for socket in runtime.sockets(suffix: ".status") {
            if let status = try? StatusClient.read(socket.path) { statuses[status.id] = status }
        }
        return statuses
    }
}

/// Keeps a copy of the backend's state, applies `changes(since:)` to it and publishes immutable snapshots.
/// Overlapping polls are dropped, failures back off (1 s doubling to 30 s) while the last good data stays on screen.
public actor StateStore {
    let source: any SnapshotSource
    let clock: @Sendable () -> Date
    private var cursor: Int64 = 0
    private var items: [String: LaunchItem] = [:]
    private var queues: [String: Queue] = [:]
    private var agents: [String: Agent] = [:]
    private var jobs: [JobSummary] = []
    private var itemsByQueue: [String: [LaunchItem]] = [:]
    /// Where each item sits in its queue's list, so a change costs O(1) instead of a re-sort.
    private var position: [String: Int] = [:]
    private var polling = false
    private var failures = 0
    private var retryAt: Date?
    private var watchedLog: String?
    private var watchAgents = false
    private var statuses: [String: AgentStatus] = [:]
    private var logs: [String: [LogLine]] = [:]
    public private(set) var snapshot = DeckSnapshot()
    public private(set) var droppedPolls = 0

    public init(source: any SnapshotSource, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.source = source
        self.clock = clock
    }

    /// Log view open for an item: its logs and the agents' live status are read on every poll.
    public func watch(item: String?) {
        watchedLog = item
        if item == nil { logs = [:] }
    }

    public func watchAgentStatus(_ on: Bool) {
        watchAgents = on
    }

    /// When the next poll may run after failures; nil when healthy.
    public var backoffUntil: Date? { retryAt }

    /// Reads what changed and publishes a new snapshot; returns nil when a poll is already running
    /// or the store is backing off after a failure (unless `force`, for the user's own actions).
    @discardableResult
    public func poll(force: Bool = false) async -> DeckSnapshot? {
        guard !polling else {
            droppedPolls += 1
            return nil
        }
        if !force, let retryAt, clock() < retryAt { return nil }
        polling = true
        defer { polling = false }
        do {
            let changes = try await source.changes(since: cursor)
            var changed = Set<String>()
            var resort = Set<String>()
            for item in changes.items {
                apply(item, resort: &resort)
                if cursor > 0 { changed.insert(item.id) }
            }
            for queue in changes.queues {
                queues[queue.name] = queue
                if cursor > 0 { changed.insert("queue:" + queue.name) }
            }
            for name in changes.deletedQueues { queues[name] = nil }
            for agent in changes.agents { agents[agent.id] = agent }
            for name in resort { rebuild(name) }
            cursor = changes.cursor
            jobs = try await source.jobs()
            if let watched = watchedLog {
                logs = [watched: try await source.logs(itemID: watched, tail: 5000)]
            }
            if watchAgents || watchedLog != nil {
                statuses = await source.agentStatuses()
            }
            failures = 0
            retryAt = nil
            publish(changed: changed, error: nil, updated: clock())
        } catch {
            failures += 1
            let delay = min(30, pow(2, Double(failures - 1)))
            retryAt = clock().addingTimeInterval(delay)
            publish(changed: [], error: "\(error)", updated: snapshot.updatedAt)
        }
        return snapshot
    }

    /// Puts a changed item in its queue's list: in place when it was there, appended when new (new items are
    /// the newest, so the list stays in enqueue order); only an out-of-order arrival costs a re-sort.
    private func apply(_ item: LaunchItem, resort: inout Set<String>) {
        if let old = items[item.id], old.queue != item.queue {
            itemsByQueue[old.queue]?.removeAll { $0.id == item.id }
            resort.insert(old.queue)
        }
        items[item.id] = item
        if let index = position[item.id], let list = itemsByQueue[item.queue], index < list.count, list[index].id == item.id {
            itemsByQueue[item.queue]![index] = item
            return
        }
        var list = itemsByQueue[item.queue] ?? []
        if let last = list.last, Self.before(item, last) { resort.insert(item.queue) }
        position[item.id] = list.count
        list.append(item)
        itemsByQueue[item.queue] = list
    }

    private func rebuild(_ name: String) {
        let sorted = (itemsByQueue[name] ?? []).sorted(by: Self.before)
        for (index, item) in sorted.enumerated() { position[item.id] = index }
        itemsByQueue[name] = sorted
    }

    static func before(_ a: LaunchItem, _ b: LaunchItem) -> Bool {
        a.timestamps.enqueued == b.timestamps.enqueued ? a.id < b.id : a.timestamps.enqueued < b.timestamps.enqueued
    }

    private func publish(changed: Set<String>, error: String?, updated: Date?) {
        let now = clock()
        var next = DeckSnapshot()
        next.queues = queues.values.sorted { $0.name < $1.name }.map { queue in
            let list = itemsByQueue[queue.name] ?? []
            return Self.row(queue, items: list, now: now)
        }
        next.items = itemsByQueue
        for item in items.values where item.state.isInFlight {
            if let agent = item.agentID { next.inFlightByAgent[agent, default: 0] += 1 }
        }
        let lostAfter: TimeInterval = 30
        // Agents that stopped more than 10 minutes ago, or were lost more than a day ago, are history: the pane
        // (and `--once`) leave them out; `launchdeck agent list` still shows them.
        next.agents = agents.values.sorted { ($0.name, $0.id) < ($1.name, $1.id) }.compactMap { agent in
            var shown = agent
            shown.state = agent.effectiveState(now: now, lostAfter: lostAfter)
            let silence = now.timeIntervalSince(agent.lastHeartbeat)
            if shown.state == .stopped && silence > 600 { return nil }
            if shown.state == .lost && silence > 86_400 { return nil }
            return shown
        }
        next.jobs = jobs
        next.agentStatuses = statuses
        next.logs = logs
        next.changed = changed
        next.updatedAt = updated
        next.now = now
        next.error = error
        next.version = snapshot.version + 1
        snapshot = next
    }

    static func row(_ queue: Queue, items: [LaunchItem], now: Date) -> QueueRow {
        var depth = QueueDepth()
        var throughput = Array(repeating: 0, count: Sparkline.minutes)
        var recentFailures = 0
        for item in items {
            depth.counts[item.state, default: 0] += 1
            guard let finished = item.timestamps.finished else { continue }
            let minutesAgo = Int(now.timeIntervalSince(finished) / 60)
            if minutesAgo >= 0 && minutesAgo < Sparkline.minutes { throughput[Sparkline.minutes - 1 - minutesAgo] += 1 }
            if item.state == .failed && now.timeIntervalSince(finished) < 3600 { recentFailures += 1 }
        }
        return QueueRow(queue: queue, depth: depth, throughput: throughput, recentFailures: recentFailures)
    }
}
