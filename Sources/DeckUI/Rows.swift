import Foundation
import LaunchModel
import Synchronization

/// The items pane's rows: positions into the queue's list, so filtering and sorting 100,000 items copies
/// 4 bytes per item instead of the items, and the default order (newest first) copies nothing.
public struct ItemRows: RandomAccessCollection, Sendable {
    let list: ItemList
    let order: [Int32]?

    public var startIndex: Int { 0 }
    public var endIndex: Int { order?.count ?? list.count }

    public subscript(index: Int) -> LaunchItem {
        list[order.map { Int($0[index]) } ?? list.count - 1 - index]
    }
}

/// A pane's row ids in display order, without a copy of them (`Rows.ids`).
public struct RowIDs: RandomAccessCollection {
    public let count: Int
    let id: (Int) -> String

    init(count: Int, id: @escaping (Int) -> String) {
        self.count = count
        self.id = id
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(index: Int) -> String { id(index) }
}

/// The rows each pane shows, filtered and sorted. Item lists can hold 100,000 rows, so the result is cached per
/// snapshot version, queue, filter and sort: a frame or a key press reuses it instead of sorting again.
public enum Rows {
    public static func queues(_ snapshot: DeckSnapshot, _ state: DeckState) -> [QueueRow] {
        let filter = RowFilter(state.filters[.pane(.queues)])
        var rows = snapshot.queues.filter { filter.matches("\($0.queue.name) \($0.queue.target)") }
        let order = state.sort[.queues] ?? SortOrder(column: 0, reversed: false)
        rows.sort { a, b in
            let ascending: Bool
            switch order.column {
            case 1: ascending = (a.queue.target.rawValue, a.queue.name) < (b.queue.target.rawValue, b.queue.name)
            case 2: ascending = (a.depth.waiting, a.queue.name) < (b.depth.waiting, b.queue.name)
            case 3: ascending = (a.depth.inFlight, a.queue.name) < (b.depth.inFlight, b.queue.name)
            case 4: ascending = (a.depth[.failed], a.queue.name) < (b.depth[.failed], b.queue.name)
            default: ascending = a.queue.name < b.queue.name
            }
            return order.reversed ? !ascending : ascending
        }
        return rows
    }

    public static let itemSortColumns = ["age", "job", "priority", "state", "agent"]

    /// States in the order an item lives them, failures first: what a user sorting by state looks for.
    static func stateRank(_ state: ItemState) -> Int {
        switch state {
        case .failed: 0
        case .queued: 1
        case .leased: 2
        case .building: 3
        case .running: 4
        case .succeeded: 5
        case .cancelled: 6
        }
    }

    /// The table column each sort key is shown on (for its ▲/▼), per pane.
    static let sortedColumn: [Pane: [Int]] = [.queues: [0, 1, 2, 3, 5], .items: [5, 1, 2, 3, 4], .agents: [0, 1, 2, 4]]
    public static let queueSortColumns = ["name", "target", "queued", "running", "failed"]
    public static let agentSortColumns = ["name", "host", "state", "heartbeat"]

    public static func items(_ snapshot: DeckSnapshot, _ state: DeckState) -> ItemRows {
        guard let queue = state.selectedQueue else { return ItemRows(list: ItemList(), order: nil) }
        let filterText = state.filters[.pane(.items)]
        let order = state.sort[.items] ?? SortOrder(column: 0, reversed: false)
        let key = CacheKey(version: snapshot.version, queue: queue, filter: filterText ?? "", sort: order)
        if let cached = cache.withLock({ $0?.key == key ? $0?.rows : nil }) { return cached }
        let filter = RowFilter(filterText)
        let list = snapshot.items[queue] ?? ItemList()
        // Positions into the list, never copies of the items; nil means the list itself, newest first.
        var positions: [Int32]?
        // Agents by the name their rows show: what a filter matches and the agent column sorts by.
        let names = Dictionary(snapshot.agents.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        if !filter.isEmpty {
            positions = list.indices.filter { index in
                let item = list[index]
                let agent = item.agentID.map { names[$0] ?? String($0.suffix(6)) } ?? "-"
                return filter.matches("\(item.id) \(item.jobReference) \(item.priority) \(item.state) \(agent)")
            }.map { Int32($0) }
        }
        // Text ascending first, state in its lifecycle with failures first; "age" (the default) newest first.
        let by: ((LaunchItem, LaunchItem) -> Bool)? = switch order.column {
        case 1: { ($0.jobName, $0.jobVersion, $1.id) < ($1.jobName, $1.jobVersion, $0.id) }
        case 2: { ($0.priority.rank, $1.id) < ($1.priority.rank, $0.id) }
        case 3: { (stateRank($0.state), $1.id) < (stateRank($1.state), $0.id) }
        case 4: { (($0.agentID.flatMap { names[$0] }) ?? "~", $1.id) < (($1.agentID.flatMap { names[$0] }) ?? "~", $0.id) }
        default: nil
        }
        if let by {
            var sorted = positions ?? (0..<Int32(list.count)).map { $0 }
            sorted.sort { by(list[Int($0)], list[Int($1)]) }
            positions = sorted
        } else if positions != nil {
            positions!.reverse()
        }
        if order.reversed {
            // Reversing "newest first" is the list's own order.
            positions = positions.map { Array($0.reversed()) } ?? (0..<Int32(list.count)).map { $0 }
        }
        let rows = ItemRows(list: list, order: positions)
        cache.withLock { $0 = (key, rows) }
        return rows
    }

    public static func agents(_ snapshot: DeckSnapshot, _ state: DeckState) -> [Agent] {
        let filter = RowFilter(state.filters[.pane(.agents)])
        var rows = snapshot.agents.filter { filter.matches("\($0.name) \($0.host) \($0.state) \($0.queues.joined(separator: " "))") }
        let order = state.sort[.agents] ?? SortOrder(column: 0, reversed: false)
        rows.sort { a, b in
            let ascending: Bool
            switch order.column {
            case 1: ascending = (a.host, a.name) < (b.host, b.name)
            case 2: ascending = (agentStateRank(a.state), a.name) < (agentStateRank(b.state), b.name)
            case 3: ascending = a.lastHeartbeat > b.lastHeartbeat
            default: ascending = (a.name, a.id) < (b.name, b.id)
            }
            return order.reversed ? !ascending : ascending
        }
        return rows
    }

    /// Lost agents first, then the ones at work.
    static func agentStateRank(_ state: AgentState) -> Int {
        switch state {
        case .lost: 0
        case .busy: 1
        case .draining: 2
        case .idle: 3
        case .stopped: 4
        }
    }

    public static func jobs(_ snapshot: DeckSnapshot, _ state: DeckState) -> [JobSummary] {
        let filter = RowFilter(state.filters[.jobs])
        return snapshot.jobs.filter { filter.matches("\($0.name) \($0.latest.spec.source.summary) \($0.latest.spec.entrypoint.joined(separator: " "))") }
    }

    /// Ids of a pane's rows, in order, for moving the selection.
    /// The ids of a pane's rows, read from the rows on demand: a key press on a pane of 100,000 items must not copy
    /// 100,000 ids out first (it did, and cost more than drawing the frame).
    public static func ids(_ pane: Pane, _ snapshot: DeckSnapshot, _ state: DeckState) -> RowIDs {
        switch pane {
        case .queues:
            let rows = queues(snapshot, state)
            return RowIDs(count: rows.count) { rows[$0].queue.name }
        case .items:
            let rows = items(snapshot, state)
            return RowIDs(count: rows.count) { rows[$0].id }
        case .agents:
            let rows = agents(snapshot, state)
            return RowIDs(count: rows.count) { rows[$0].id }
        }
    }

    struct CacheKey: Hashable {
        var version: Int
        var queue: String
        var filter: String
        var sort: SortOrder
    }

    private static let cache = Mutex<(key: CacheKey, rows: ItemRows)?>(nil)
}

/// A `/` filter: a case-insensitive regular expression (plain text if it does not compile); `!` in front inverts it.
public struct RowFilter {
    let inverted: Bool
    let regex: Regex<AnyRegexOutput>?
    let literal: String

    public init(_ text: String?) {
        var pattern = text ?? ""
        inverted = pattern.hasPrefix("!")
        if inverted { pattern.removeFirst() }
        literal = pattern.lowercased()
        regex = pattern.isEmpty ? nil : (try? Regex(pattern))?.ignoresCase()
    }

    public var isEmpty: Bool { literal.isEmpty }

    public func matches(_ text: String) -> Bool {
        guard !literal.isEmpty else { return true }
        let found: Bool
        if let regex { found = (try? regex.firstMatch(in: text)) != nil } else { found = text.lowercased().contains(literal) }
        return found != inverted
    }
}
