import Foundation
import LaunchModel

/// The main screen: Queues, Items of the selected queue, Agents. Wide terminals put Queues and Agents on the left
/// and Items on the right; narrow ones stack all three.
struct MainScreen {
    struct Rect {
        var x: Int, y: Int, width: Int, height: Int
    }

    /// A pane shows rows from 4 lines up (two borders, the header, one row).
    static let paneMinimumHeight = 4

    static func layout(width: Int, top: Int, height: Int, focus: Pane = .items) -> [Pane: Rect] {
        // Too short to stack the panes so that each shows a row (three narrow, two on the left when wide): the focused
        // one alone (Tab and 1-3 still switch), as empty boxes told nothing.
        if height < (width >= 110 ? 2 : 3) * paneMinimumHeight {
            return [focus: Rect(x: 0, y: top, width: width, height: height)]
        }
        if width >= 110 {
            let left = width * 2 / 5
            let queuesHeight = max(4, height * 3 / 5)
            return [
                .queues: Rect(x: 0, y: top, width: left, height: queuesHeight),
                .agents: Rect(x: 0, y: top + queuesHeight, width: left, height: height - queuesHeight),
                .items: Rect(x: left, y: top, width: width - left, height: height),
            ]
        }
        let queuesHeight = max(paneMinimumHeight, height * 3 / 10)
        let agentsHeight = max(paneMinimumHeight, height / 4)
        return [
            .queues: Rect(x: 0, y: top, width: width, height: queuesHeight),
            .items: Rect(x: 0, y: top + queuesHeight, width: width, height: height - queuesHeight - agentsHeight),
            .agents: Rect(x: 0, y: top + height - agentsHeight, width: width, height: agentsHeight),
        ]
    }

    static func draw(_ buffer: inout ScreenBuffer, state: inout DeckState, snapshot: DeckSnapshot, top: Int, height: Int) {
        let rects = layout(width: buffer.width, top: top, height: height, focus: state.focus)
        for pane in Pane.allCases {
            guard let rect = rects[pane] else { continue }
            drawPane(pane, in: rect, &buffer, state: &state, snapshot: snapshot, focused: state.focus == pane)
        }
    }

    static func drawPane(_ pane: Pane, in rect: Rect, _ buffer: inout ScreenBuffer, state: inout DeckState, snapshot: DeckSnapshot, focused: Bool) {
        buffer.box(x: rect.x, y: rect.y, width: rect.width, height: rect.height, title: title(pane, state: state, snapshot: snapshot),
                   focused: focused)
        var table = self.table(pane, state: state, snapshot: snapshot, width: rect.width - 2)
        let order = state.sort[pane] ?? SortOrder(column: 0, reversed: false)
        if let column = Rows.sortedColumn[pane].flatMap({ $0.indices.contains(order.column) ? $0[order.column] : nil }) {
            // Every key sorts ascending first but age, newest first: its ages go up the list, so ▲ too.
            table.sorted = (column, !order.reversed)
        }
        state.scroll[pane] = table.draw(into: &buffer, x: rect.x + 1, y: rect.y + 1, width: rect.width - 2, height: rect.height - 2,
                                        scroll: state.scroll[pane] ?? 0, focused: focused)
        let visible = max(1, rect.height - 3)
        state.pageRows[pane] = visible
        if table.rowCount > visible, let selected = table.selected {
            // Where the selection is in a long list, on the bottom border.
            let position = " \(selected + 1)/\(table.rowCount) "
            buffer.put(position, x: rect.x + rect.width - 2 - DisplayWidth.of(position), y: rect.y + rect.height - 1, role: .dim)
        }
        if table.rowCount == 0 {
            buffer.put(emptyText(pane, state: state, snapshot: snapshot), x: rect.x + 2, y: rect.y + 2, role: .dim, maxWidth: rect.width - 4)
        }
    }

    static func title(_ pane: Pane, state: DeckState, snapshot: DeckSnapshot) -> String {
        let key = "\(pane.rawValue + 1)"
        let filter = state.filters[.pane(pane)].map { " /\($0)" } ?? ""
        switch pane {
        case .queues: return "[\(key)] Queues (\(Rows.queues(snapshot, state).count))\(filter)"
        case .items:
            let name = state.selectedQueue ?? "-"
            let paused = state.selectedQueue.flatMap(snapshot.queue)?.queue.paused == true ? " · paused" : ""
            let marked = state.marked.isEmpty ? "" : " · \(state.marked.count) marked"
            let count = Rows.items(snapshot, state).count
            // While the first load is under way the list holds only the newest items: say so, and how many there are.
            let shown = snapshot.loading.map { _ in
                "newest \(count) of \(state.selectedQueue.flatMap(snapshot.queue)?.depth.total ?? count), loading"
            } ?? "\(count)"
            return "[\(key)] Items of \(name) (\(shown))\(paused)\(marked)\(filter)"
        case .agents: return "[\(key)] Agents (\(Rows.agents(snapshot, state).count))\(filter)"
        }
    }

    static func emptyText(_ pane: Pane, state: DeckState, snapshot: DeckSnapshot) -> String {
        if let filter = state.filters[.pane(pane)] { return "no \(pane.title.lowercased()) match /\(filter) · Esc clears" }
        return switch pane {
        case .queues: snapshot.updatedAt == nil ? "loading…" : "no queues: launchdeck queue create NAME --target local-process"
        case .items: state.selectedQueue == nil ? "select a queue" : snapshot.loading != nil ? "loading…" : "no items: press n to enqueue"
        case .agents: "no agents: launchdeck agent --queue NAME"
        }
    }

    static func table(_ pane: Pane, state: DeckState, snapshot: DeckSnapshot, width: Int) -> TableView {
        switch pane {
        case .queues:
            let rows = Rows.queues(snapshot, state)
            let selected = state.selection[.queues].flatMap { id in rows.firstIndex { $0.queue.name == id } }
            return TableView(
                columns: [Column("NAME", 0), Column("TARGET", 13, drop: 3), Column("QUEUED", 6, right: true), Column("RUN", 4, right: true),
                          Column("DONE", 5, right: true, drop: 2), Column("FAIL", 4, right: true),
                          Column("PER MIN", Sparkline.minutes, drop: 5)],
                rowCount: rows.count, selected: selected,
                row: { index in
                    let row = rows[index]
                    // On the name itself, so no layout can drop it.
                    let name = row.queue.paused ? TableCell("\(row.queue.name) ⏸ paused", .flashWarn) : TableCell(row.queue.name)
                    return [name, TableCell(row.queue.target.rawValue),
                            TableCell(String(row.depth.waiting), row.depth.waiting > 0 ? .stateQueued : .normal),
                            TableCell(String(row.depth.inFlight), row.depth.inFlight > 0 ? .stateRunning : .normal),
                            TableCell(String(row.depth[.succeeded]), .stateSucceeded),
                            TableCell(String(row.depth[.failed]), row.depth[.failed] > 0 ? .stateFailed : .normal),
                            row.complete ? TableCell(Sparkline.render(row.throughput), row.recentFailures > 0 ? .graphHigh : .graphLow)
                                : TableCell("loading…", .dim)]
                },
                flashes: { snapshot.changed.contains("queue:" + rows[$0].queue.name) })
        case .items:
            let rows = Rows.items(snapshot, state)
            let selected = state.selection[.items].flatMap { id in rows.firstIndex { $0.id == id } }
            return TableView(
                columns: [Column("ID", 12, wide: 26), Column("JOB", 0), Column("PRI", 8, drop: 5), Column("STATE", 9), Column("AGENT", 10, drop: 3),
                          Column("AGE", 6, right: true, drop: 4), Column("DUR", 6, right: true, drop: 2), Column("PROGRESS", 16, drop: 1)],
                rowCount: rows.count, selected: selected,
                row: { index in
                    let item = rows[index]
                    let agentName = item.agentID.map { id in snapshot.agents.first { $0.id == id }?.name ?? String(id.suffix(6)) } ?? "-"
                    // Ids cut from the front: the end tells items of one batch apart (and the CLI takes a suffix).
                    let marked = state.marked.contains(item.id)
                    return [TableCell(marked ? item.id + "✓" : item.id, marked ? .mark : .normal, cutFromFront: true),
                            TableCell(item.jobReference), TableCell(item.priority.rawValue, item.priority.rank <= 1 ? .mark : .normal),
                            TableCell(item.state.rawValue, LiveStatus.isAdrift(item, snapshot) ? .flashWarn : .state(item.state)), TableCell(agentName),
                            TableCell(Durations.short(snapshot.now.timeIntervalSince(item.timestamps.enqueued))),
                            TableCell(duration(item, now: snapshot.now)), progressCell(item, snapshot)]
                },
                flashes: { snapshot.changed.contains(rows[$0].id) })
        case .agents:
            let rows = Rows.agents(snapshot, state)
            let selected = state.selection[.agents].flatMap { id in rows.firstIndex { $0.id == id } }
            return TableView(
                columns: [Column("NAME", 0), Column("HOST", 12, drop: 3), Column("STATE", 9), Column("JOBS", 6, right: true),
                          Column("BEAT", 6, right: true, drop: 2), Column("QUEUES", 16, drop: 4)],
                rowCount: rows.count, selected: selected,
                row: { index in
                    let agent = rows[index]
                    let role: Role = switch LiveStatus.state(agent, snapshot) {
                    case .lost: .stateFailed
                    case .busy: .stateRunning
                    case .draining: .stateBuilding
                    case .idle: .normal
                    case .stopped: .dim
                    }
                    let inFlight = LiveStatus.jobs(agent, snapshot)
                    // What it was asked to serve and cannot, on the name itself as for paused queues: narrow layouts
                    // drop the QUEUES column, and this must show at every width.
                    let unserved = (agent.environment.unservedQueues ?? [:]).keys.sorted()
                    let name = unserved.isEmpty ? TableCell(agent.name)
                        : TableCell("\(agent.name) ⚠ cannot serve \(unserved.joined(separator: ","))", .flashWarn)
                    return [name, TableCell(agent.host), TableCell(LiveStatus.state(agent, snapshot).rawValue, role),
                            TableCell("\(inFlight)/\(agent.maxJobs)"),
                            TableCell(Durations.short(snapshot.now.timeIntervalSince(agent.lastHeartbeat))),
                            queuesCell(agent)]
                },
                flashes: { _ in false })
        }
    }

    /// The queues an agent serves, and in the warning role those it was asked to serve and cannot.
    static func queuesCell(_ agent: Agent) -> TableCell {
        let unserved = (agent.environment.unservedQueues ?? [:]).keys.sorted()
        guard !unserved.isEmpty else { return TableCell(agent.queues.joined(separator: ",")) }
        return TableCell((agent.queues + unserved.map { "✗" + $0 }).joined(separator: ","), .flashWarn)
    }

    /// A failed item says why in its row (its exit status, or its error's first words); others show their progress.
    static func progressCell(_ item: LaunchItem, _ snapshot: DeckSnapshot) -> TableCell {
        if item.state == .failed {
            if let code = item.exitCode { return TableCell("✗ exit \(code)", .stateFailed) }
            if let error = item.error { return TableCell("✗ " + TerminalTextSafety.inert(error), .stateFailed) }
        }
        return TableCell(LiveStatus.progress(item, snapshot)?.cell ?? "", .graphMid)
    }

    static func duration(_ item: LaunchItem, now: Date) -> String {
        guard let start = item.timestamps.running ?? item.timestamps.building ?? item.timestamps.leased else { return "-" }
        return Durations.short((item.timestamps.finished ?? now).timeIntervalSince(start))
    }
}

/// Short human durations for tables, as kubectl and k9s show ages: exact while young, coarser as they grow.
/// A column of ages then changes once a minute or less after the first minutes, so an idle dashboard
/// redraws (and sends to the terminal) next to nothing.
public enum Durations {
    public static func short(_ interval: TimeInterval) -> String {
        let seconds = max(0, Int(interval))
        let minutes = seconds / 60, hours = seconds / 3600, days = seconds / 86400
        switch seconds {
        case ..<120: return "\(seconds)s"
        case ..<600: return seconds % 60 == 0 ? "\(minutes)m" : "\(minutes)m\(seconds % 60)s"
        case ..<(3 * 3600): return "\(minutes)m"
        case ..<(8 * 3600): return minutes % 60 == 0 ? "\(hours)h" : "\(hours)h\(minutes % 60)m"
        case ..<(48 * 3600): return "\(hours)h"
        case ..<(8 * 86400): return hours % 24 == 0 ? "\(days)d" : "\(days)d\(hours % 24)h"
        case ..<(365 * 86400): return "\(days)d"
        default: return "\(days / 365)y\(days % 365)d"
        }
    }

    /// How long ago, `-` for never.
    public static func age(_ date: Date?, now: Date = Date()) -> String {
        guard let date else { return "-" }
        return short(now.timeIntervalSince(date))
    }

    public static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.2f", value)
    }
}
