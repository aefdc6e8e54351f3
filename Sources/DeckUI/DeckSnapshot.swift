import Foundation
import LaunchAPI
import LaunchModel
import Synchronization

/// One queue as the dashboard shows it.
public struct QueueRow: Sendable, Hashable {
    public var queue: Queue
    public var depth: QueueDepth
    /// Items finished per minute over the last `Sparkline.minutes` minutes, oldest first.
    public var throughput: [Int]
    /// Failed items finished in the last hour.
    public var recentFailures: Int
    /// False while a first load is under way: the counts are the backend's, throughput and failures are not known yet.
    public var complete: Bool

    public init(queue: Queue, depth: QueueDepth, throughput: [Int], recentFailures: Int, complete: Bool = true) {
        self.queue = queue
        self.depth = depth
        self.throughput = throughput
        self.recentFailures = recentFailures
        self.complete = complete
    }
}

/// An immutable picture of everything the dashboard shows; views render it and nothing else.
public struct DeckSnapshot: Sendable {
    public var queues: [QueueRow] = []
    /// Items per queue, in enqueue order.
    public var items: [String: ItemList] = [:]
    public var agents: [Agent] = []
    public var jobs: [JobSummary] = []
    /// Live status from agents' status sockets on this machine, by agent id.
    public var agentStatuses: [String: AgentStatus] = [:]
    /// Items in flight per agent id.
    public var inFlightByAgent: [String: Int] = [:]
    /// Logs of the item whose log view is open.
    public var logs: [String: [LogLine]] = [:]
    /// Rows that changed in the last refresh (they flash once).
    public var changed: Set<String> = []
    public var updatedAt: Date?
    public var now: Date = Date()
    /// Set while the backend cannot be read; the last good data stays on screen.
    public var error: String?
    /// Set while the first load is under way: `items` holds only the newest of the queue in view.
    public var loading: Loading?

    public struct Loading: Sendable, Hashable {
        public var loaded: Int
        public var total: Int

        public init(loaded: Int, total: Int) {
            self.loaded = loaded
            self.total = total
        }

        public var text: String { "loading items: \(min(loaded, total)) of \(total)" }
    }
    /// Unique to each snapshot in the process (not only within one state store), so work views cache per
    /// snapshot can never be taken for another store's: two stores once both reached version 7 of queue "bench".
    public var version: Int = DeckSnapshot.nextVersion()

    private static let versions = Atomic<Int>(0)

    public static func nextVersion() -> Int {
        versions.add(1, ordering: .relaxed).newValue
    }

    public init() {}

    /// The log view asks on every frame, so lists (in id order) are searched by halves; a list built in another
    /// order (tests, hand-made snapshots) is still found by a scan.
    public func item(_ id: String) -> LaunchItem? {
        for list in items.values {
            if let index = list.index(ofID: id) { return list[index] }
        }
        for list in items.values {
            if let found = list.last(where: { $0.id == id }) { return found }
        }
        return nil
    }

    public func queue(_ name: String) -> QueueRow? {
        queues.first { $0.queue.name == name }
    }

    /// `updated 4s ago` / `backend unreachable: ...`: how fresh this picture is.
    public var staleness: (text: String, stale: Bool) {
        if let error { return ("backend unreachable: \(error)", true) }
        if let loading { return (loading.text, true) }
        guard let updatedAt else { return ("loading…", true) }
        let age = max(0, Int(now.timeIntervalSince(updatedAt)))
        return ("updated \(age)s ago", age > 10)
    }
}
