import Foundation
import LaunchAPI
import LaunchModel

/// What the state store reads: the backend's change feed and job list, and agents' status sockets.
public protocol SnapshotSource: Sendable {
    func changes(since cursor: Int64) async throws -> ChangeSet
    /// For the first load: queues, agents and the cursor, and then every item a page at a time, so a queue of
    /// 100,000 items is never held twice. A source without pages returns nil and `changes(since: 0)` has it all.
    func changesWithoutItems(since cursor: Int64) async throws -> ChangeSet?
    /// Every item in id order, a page at a time (`ChangeFeed.itemPages`).
    func itemPages(limit: Int) -> AsyncThrowingStream<[LaunchItem], any Error>
    /// For the frame shown while the pages load: each queue's counts by state, and one queue's newest items.
    /// A source that cannot tell returns nil, and the first frame waits for the whole load.
    func queueDepths() async throws -> [String: QueueDepth]?
    func newestItems(queue: String, limit: Int) async throws -> [LaunchItem]
    func jobs() async throws -> [JobSummary]
    func logs(itemID: String, after sequence: Int64, tail: Int) async throws -> [LogLine]
    func agentStatuses() async -> [String: AgentStatus]
    /// Returns expired leases to their queues, as every agent's poll does: a dead agent's items must not show as
    /// running until some other agent of their queue happens to poll. Does nothing where the store cannot be written.
    func reclaimExpiredLeases() async
}

/// Any backend is a source, with live agent statuses from wherever they come (`AgentStatusSource`).
public struct BackendSource: SnapshotSource {
    public let backend: any LaunchBackend
    public let statuses: (any AgentStatusSource)?

    public init(backend: any LaunchBackend, statuses: (any AgentStatusSource)?) {
        self.backend = backend
        self.statuses = statuses
    }

    public func changes(since cursor: Int64) async throws -> ChangeSet { try await backend.changes(since: cursor) }
    public func changesWithoutItems(since cursor: Int64) async throws -> ChangeSet? {
        try await backend.changes(since: cursor, includingItems: false)
    }
    public func itemPages(limit: Int) -> AsyncThrowingStream<[LaunchItem], any Error> { backend.itemPages(limit: limit) }
    public func queueDepths() async throws -> [String: QueueDepth]? { try await backend.queueDepths() }
    public func newestItems(queue: String, limit: Int) async throws -> [LaunchItem] {
        try await backend.items(ItemFilter(queue: queue, limit: limit))
    }
    public func jobs() async throws -> [JobSummary] { try await backend.jobs() }
    public func logs(itemID: String, after sequence: Int64, tail: Int) async throws -> [LogLine] {
        try await backend.logs(itemID: itemID, after: sequence, tail: tail)
    }

    public func reclaimExpiredLeases() async {
        _ = try? await backend.reclaimExpiredLeases()
    }

    public func agentStatuses() async -> [String: AgentStatus] {
        await statuses?.agentStatuses() ?? [:]
    }
}

extension SnapshotSource {
    public func reclaimExpiredLeases() async {}
    public func changesWithoutItems(since cursor: Int64) async throws -> ChangeSet? { nil }
    public func itemPages(limit: Int) -> AsyncThrowingStream<[LaunchItem], any Error> { AsyncThrowingStream { nil } }
    public func queueDepths() async throws -> [String: QueueDepth]? { nil }
    public func newestItems(queue: String, limit: Int) async throws -> [LaunchItem] { [] }
}

/// Keeps a copy of the backend's state, applies `changes(since:)` to it and publishes immutable snapshots.
/// Overlapping polls are dropped, failures back off (1 s doubling to 30 s) while the last good data stays on screen.
public actor StateStore {
    let source: any SnapshotSource
    let clock: @Sendable () -> Date
    private var cursor: Int64 = 0
    private var queues: [String: Queue] = [:]
    private var agents: [String: Agent] = [:]
    private var jobs: [JobSummary] = []
    private var itemsByQueue: [String: ItemList] = [:]
    /// Items in flight, by item id: the few that count toward each agent's load, and when their leases run out (a
    /// poll after one has reclaims it). One dictionary, so loading 100,000 items costs one lookup each.
    private var inFlight: [String: (agent: String, leaseExpires: Date?)] = [:]
    static let pageSize = 2000
    /// A screenful and then some: what the first frame of a long first load lists of the queue in view.
    static let previewSize = 200
    /// The queue the user looks at, whose newest items the first frame shows while the rest loads.
    private var focusedQueue: String?
    /// Set during a first load that shows progress: the backend's counts, and what is shown until the pages are in.
    private var loading: FirstLoad?

    /// A first load under way: the backend's counts and the newest items of one queue stand in for the lists.
    private struct FirstLoad {
        var depths: [String: QueueDepth]
        var preview: [String: ItemList]
        var total: Int
        var loaded = 0
    }
    private var polling = false
    private var failures = 0
    private var retryAt: Date?
    private var watchedLog: String?
    private var watchAgents = false
    private var statuses: [String: AgentStatus] = [:]
    private var logs: [String: [LogLine]] = [:]
    /// The log view keeps the newest lines of the item it shows; the store keeps more (`item describe`).
    static let logLinesKept = 5000
    public private(set) var snapshot = DeckSnapshot()
    public private(set) var droppedPolls = 0

    /// How long a first load runs before it shows what it has (tests: zero).
    let earlyFrameAfter: Duration
    static let progressInterval: Duration = .milliseconds(200)

    public init(source: any SnapshotSource, clock: @escaping @Sendable () -> Date = { Date() },
                earlyFrameAfter: Duration = .milliseconds(250)) {
        self.source = source
        self.clock = clock
        self.earlyFrameAfter = earlyFrameAfter
    }

    /// Log view open for an item: its logs and the agents' live status are read on every poll.
    public func watch(item: String?) {
        if item != watchedLog { logs = [:] }
        watchedLog = item
    }

    public func watchAgentStatus(_ on: Bool) {
        watchAgents = on
    }

    /// The queue in view (nil: the first by name, as the dashboard selects), for the frame a first load shows early.
    public func focus(queue: String?) {
        focusedQueue = queue
    }

    /// When the next poll may run after failures; nil when healthy.
    public var backoffUntil: Date? { retryAt }

    /// Reads what changed and publishes a new snapshot; returns nil when a poll is already running
    /// or the store is backing off after a failure (unless `force`, for the user's own actions).
    /// `progress` sees the frames of a first load before it is done (the backend's counts, the focused queue's
    /// newest items, how many items are in), so that a server's 100,000 items do not keep the screen blank;
    /// without it (`--once`) the first snapshot is the whole picture.
    @discardableResult
    public func poll(force: Bool = false, progress: (@Sendable (DeckSnapshot) async -> Void)? = nil) async -> DeckSnapshot? {
        guard !polling else {
            droppedPolls += 1
            return nil
        }
        if !force, let retryAt, clock() < retryAt { return nil }
        polling = true
        defer { polling = false }
        do {
            var changes: ChangeSet
            if cursor == 0, let base = try await source.changesWithoutItems(since: 0) {
                let started = ContinuousClock.now
                var askedForCounts = false
                var lastShown: ContinuousClock.Instant?
                var loaded = 0
                // Items changed while the pages are read come again from `changes(since: base.cursor)`.
                var resort = Set<String>()
                for try await page in source.itemPages(limit: Self.pageSize) {
                    // A dashboard that switched backends or quit stops reading the old one's 100,000 items.
                    try Task.checkCancellation()
                    for item in page { apply(item, resort: &resort) }
                    loaded += page.count
                    // A quick load (this machine's store) shows nothing before it is done; a slow one shows the
                    // backend's counts and the newest items after `earlyFrameAfter`, then how far it is, now and then.
                    if let progress, page.count == Self.pageSize {
                        if !askedForCounts, ContinuousClock.now - started >= earlyFrameAfter {
                            askedForCounts = true
                            if let depths = try await source.queueDepths() { try await showFirstFrame(base: base, depths: depths) }
                        }
                        if loading != nil, lastShown.map({ ContinuousClock.now - $0 >= Self.progressInterval }) ?? true {
                            loading?.loaded = loaded
                            publish(changed: [], error: nil, updated: clock())
                            await progress(snapshot)
                            lastShown = .now
                        }
                    }
                }
                for name in resort { rebuild(name) }
                loading = nil
                let after = try await source.changes(since: base.cursor)
                changes = after
                changes.queues = base.queues + after.queues
                changes.agents = base.agents + after.agents
            } else {
                let now = clock()
                if inFlight.values.contains(where: { $0.leaseExpires.map { $0 < now } ?? false }) { await source.reclaimExpiredLeases() }
                changes = try await source.changes(since: cursor)
            }
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
                // Only lines after the newest one held are read, so a chatty job costs what it printed since the
                // last poll, never the whole tail again.
                var ring = logs[watched] ?? []
                let fresh = try await source.logs(itemID: watched, after: ring.last?.sequence ?? 0, tail: Self.logLinesKept)
                if !fresh.isEmpty || logs[watched] == nil {
                    ring.append(contentsOf: fresh)
                    if ring.count > Self.logLinesKept { ring.removeFirst(ring.count - Self.logLinesKept) }
                    logs = [watched: ring]
                }
            }
            // Live statuses are read while a view needs them and dropped when none does, so a status read once can
            // never stand in for the backend's rows after its view was closed.
            statuses = watchAgents || watchedLog != nil ? await source.agentStatuses() : [:]
            failures = 0
            retryAt = nil
            publish(changed: changed, error: nil, updated: clock())
        } catch {
            failures += 1
            let delay = min(30, pow(2, Double(failures - 1)))
            retryAt = clock().addingTimeInterval(delay)
            if cursor == 0 {
                // A first load cut short: its pages so far are not the queues' lists. What stays on screen is the
                // early frame, if there was one, marked as loading, beside the error; the next poll loads again.
                itemsByQueue = [:]
                inFlight = [:]
            }
            publish(changed: [], error: "\(error)", updated: snapshot.updatedAt)
        }
        return snapshot
    }

    /// The frame of a long first load, before its pages: every queue with the backend's counts, and the newest
    /// items of the queue in view. Nothing in it is made up; what is not known yet (throughput, failures of the last
    /// hour, the other items) is marked as loading.
    private func showFirstFrame(base: ChangeSet, depths: [String: QueueDepth]) async throws {
        for queue in base.queues { queues[queue.name] = queue }
        for agent in base.agents { agents[agent.id] = agent }
        let total = depths.values.reduce(0) { $0 + $1.total }
        var preview: [String: ItemList] = [:]
        if let name = focusedQueue.flatMap({ queues[$0] == nil ? nil : $0 }) ?? queues.keys.min() {
            preview[name] = ItemList(try await source.newestItems(queue: name, limit: Self.previewSize).sorted(by: Self.before))
        }
        loading = FirstLoad(depths: depths, preview: preview, total: total)
        jobs = try await source.jobs()
    }

    /// Puts a changed item in its queue's list: in place when it was there (found by binary search, since lists
    /// are kept in id order), appended when new (new items are the newest); only an out-of-order arrival costs a
    /// re-sort. No index by id is kept: with 100,000 items it would cost more memory than it saves time.
    private func apply(_ item: LaunchItem, resort: inout Set<String>) {
        if item.state.isInFlight, let agent = item.agentID {
            inFlight[item.id] = (agent, item.leaseExpiresAt)
        } else if !inFlight.isEmpty {
            inFlight[item.id] = nil
        }
        if let list = itemsByQueue[item.queue] {
            // Items never move between queues, so the item's own queue is the only place to look.
            let index = resort.contains(item.queue) ? list.firstIndex { $0.id == item.id } : list.index(ofID: item.id)
            if let index {
                // In place, through the dictionary: at most one chunk of the list is copied.
                itemsByQueue[item.queue]![index] = item
                return
            }
            if let last = list.last, Self.before(item, last) { resort.insert(item.queue) }
        }
        itemsByQueue[item.queue, default: ItemList()].append(item)
    }

    private func rebuild(_ name: String) {
        itemsByQueue[name] = ItemList((itemsByQueue[name] ?? ItemList()).sorted(by: Self.before))
    }

    /// Enqueue order: item ids are ULIDs, which sort by the millisecond they were made and, within one process,
    /// in the order made. The same order the first load pages in, so loading never re-sorts.
    static func before(_ a: LaunchItem, _ b: LaunchItem) -> Bool {
        a.id < b.id
    }

    private func publish(changed: Set<String>, error: String?, updated: Date?) {
        let now = clock()
        var next = DeckSnapshot()
        if let loading {
            next.queues = queues.values.sorted { $0.name < $1.name }.map { queue in
                QueueRow(queue: queue, depth: loading.depths[queue.name] ?? QueueDepth(), throughput: [], recentFailures: 0, complete: false)
            }
            next.items = loading.preview
            next.loading = DeckSnapshot.Loading(loaded: loading.loaded, total: loading.total)
        } else {
            next.queues = queues.values.sorted { $0.name < $1.name }.map { queue in
                Self.row(queue, items: itemsByQueue[queue.name] ?? ItemList(), now: now)
            }
            next.items = itemsByQueue
        }
        for entry in inFlight.values { next.inFlightByAgent[entry.agent, default: 0] += 1 }
        let lostAfter = Agent.lostAfterSeconds
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
        next.version = DeckSnapshot.nextVersion()
        snapshot = next
    }

    static func row<Items: Sequence<LaunchItem>>(_ queue: Queue, items: Items, now: Date) -> QueueRow {
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
