import Foundation
import LaunchModel

/// Every key the dashboard answers to, in one table.
public enum ActionTable {
    static let panes: Set<ActionScope> = [.pane(.queues), .pane(.items), .pane(.agents)]
    static let everywhere: Set<ActionScope> = panes.union([.global, .jobs, .log, .detail])
    static let lists: Set<ActionScope> = panes.union([.jobs, .log, .detail])

    public static let all: [Action] = [
        Action([.character("?")], "help: every key", scopes: [.global], hint: "help") { state, _ in
            state.overlay = .help
            return []
        },
        Action([.character("q"), .control("c")], "quit (q in a sub-view goes back; :q quits from anywhere)", scopes: [.global], hint: "quit") { state, snapshot in
            // As in less and k9s: q leaves a sub-view; only on the main screen, or with Ctrl-C, does it quit.
            if case .control = state.lastKey {} else if state.screen != .main {
                state.pop()
                return []
            }
            return quit(&state, snapshot)
        },
        Action([.escape], "back", scopes: [.global]) { state, _ in
            if state.screen == .main {
                if state.focus == .items && !state.marked.isEmpty {
                    state.marked = []
                } else if state.filters[.pane(state.focus)] != nil { state.filters[.pane(state.focus)] = nil } else if state.focus == .items { state.focus = .queues }
            } else {
                state.pop()
            }
            return []
        },
        Action([.character(":")], "command (:queues :queue NAME :items QUEUE :jobs :agents :theme :backend :q)", scopes: [.global], hint: "command") { state, _ in
            state.overlay = .command(text: "")
            return []
        },
        Action([.character("/")], "filter (regex, ! inverts)", scopes: panes.union([.jobs, .log]), hint: "filter") { state, _ in
            let target = filterTarget(state)
            state.overlay = .filter(pane: target, text: state.filters[target] ?? (target == .log ? state.log.search : ""))
            return []
        },
        Action([.tab], "next pane", scopes: panes) { state, _ in
            state.focus = Pane(rawValue: (state.focus.rawValue + 1) % 3) ?? .queues
            return []
        },
        Action([.backTab], "previous pane", scopes: panes) { state, _ in
            state.focus = Pane(rawValue: (state.focus.rawValue + 2) % 3) ?? .queues
            return []
        },
        Action([.character("1"), .character("2"), .character("3")], "jump to Queues / Items / Agents", scopes: panes) { _, _ in [] },
        Action([.character("j"), .down], "down", scopes: lists) { state, snapshot in move(&state, snapshot, by: 1) },
        Action([.character("k"), .up], "up", scopes: lists) { state, snapshot in move(&state, snapshot, by: -1) },
        Action([.pageDown], "page down", scopes: lists) { state, snapshot in move(&state, snapshot, by: page(state)) },
        Action([.pageUp], "page up", scopes: lists) { state, snapshot in move(&state, snapshot, by: -page(state)) },
        Action([.character("g"), .home], "first", scopes: lists) { state, snapshot in move(&state, snapshot, by: Int.min / 2) },
        Action([.character("G"), .end], "last", scopes: lists) { state, snapshot in move(&state, snapshot, by: Int.max / 2) },
        Action([.enter], "open", scopes: panes.union([.jobs]), hint: "open") { state, snapshot in drill(&state, snapshot) },
        Action([.enter], "open the item the detail links to (relaunch of, relaunched as)", scopes: [.detail],
               disabledReason: { state, snapshot in detailLinks(state, snapshot).isEmpty ? "nothing to open here" : nil }) { state, snapshot in
            let links = detailLinks(state, snapshot)
            guard !links.isEmpty else { return [] }
            state.detailScroll = 0
            state.push(.detail(.item(links[state.detailLink % links.count].id)))
            state.detailLink = 0
            return [.refresh]
        },
        Action([.tab], "next link", scopes: [.detail]) { state, _ in
            state.detailLink += 1
            return []
        },
        Action([.character("s")], "sort by next column", scopes: panes) { state, snapshot in
            let count = [Rows.queueSortColumns.count, Rows.itemSortColumns.count, Rows.agentSortColumns.count][state.focus.rawValue]
            var order = state.sort[state.focus] ?? SortOrder(column: 0, reversed: false)
            order.column = (order.column + 1) % count
            state.sort[state.focus] = order
            state.flash(.info, "sorted by \(sortName(state.focus, order))", now: snapshot.now)
            return []
        },
        Action([.character("S")], "reverse sort", scopes: panes) { state, snapshot in
            var order = state.sort[state.focus] ?? SortOrder(column: 0, reversed: false)
            order.reversed.toggle()
            state.sort[state.focus] = order
            state.flash(.info, "sorted by \(sortName(state.focus, order))", now: snapshot.now)
            return []
        },
        Action([.character("n")], "enqueue a job", scopes: [.pane(.queues), .pane(.items), .jobs], dangerous: true, hint: "enqueue",
               disabledReason: { state, snapshot in
                   switch state.screen {
                   case .jobs, .jobVersion: return snapshot.queues.isEmpty ? "no queue to enqueue on" : nil
                   default: break
                   }
                   if state.selectedQueue.flatMap(snapshot.queue) == nil { return "select a queue first" }
                   return snapshot.jobs.isEmpty ? "no jobs yet: launchdeck job create" : nil
               }) { state, snapshot in
            openForm(&state, snapshot, from: nil)
            return []
        },
        Action([.character(" ")], "mark / unmark the item (r and Ctrl-D then act on all marked)", scopes: [.pane(.items)],
               disabledReason: { state, _ in state.selection[.items] == nil ? "no item selected" : nil }) { state, snapshot in
            guard let id = state.selection[.items] else { return [] }
            if state.marked.remove(id) == nil { state.marked.insert(id) }
            return move(&state, snapshot, by: 1)
        },
        Action([.character("r")], "relaunch the item (or the marked ones) now", scopes: [.pane(.items)], dangerous: true, hint: "relaunch",
               disabledReason: { state, snapshot in targets(state, snapshot).isEmpty ? "no item selected" : nil }) { state, snapshot in
            let items = targets(state, snapshot)
            guard items.count > 1 else { return items.map { .relaunch(items: [$0.id]) } }
            state.overlay = .confirm(ConfirmDialog(title: "Relaunch items", message: "Relaunch the \(items.count) marked items?",
                                                   effect: .relaunch(items: items.map(\.id))))
            return []
        },
        Action([.character("R")], "relaunch with changes", scopes: [.pane(.items)], dangerous: true,
               disabledReason: { state, snapshot in selectedItem(state, snapshot) == nil ? "no item selected" : nil }) { state, snapshot in
            openForm(&state, snapshot, from: selectedItem(state, snapshot))
            return []
        },
        Action([.control("d")], "cancel the item (or the marked ones)", scopes: [.pane(.items), .log], dangerous: true, hint: "cancel",
               disabledReason: { state, snapshot in
                   let items = targets(state, snapshot)
                   guard !items.isEmpty else { return "no item selected" }
                   return items.allSatisfy(\.state.isFinal) ? (items.count == 1 ? "item is already \(items[0].state)" : "the marked items are all finished") : nil
               }) { state, snapshot in
            let items = targets(state, snapshot).filter { !$0.state.isFinal }
            let message = items.count == 1 ? "Cancel \(items[0].id) (\(items[0].jobReference), \(items[0].state))?"
                : "Cancel the \(items.count) marked items that are not finished?"
            state.overlay = .confirm(ConfirmDialog(title: items.count == 1 ? "Cancel item" : "Cancel \(items.count) items", message: message,
                                                   effect: .cancel(items: items.map(\.id))))
            return []
        },
        Action([.character("e")], "edit the queue configuration", scopes: [.pane(.queues)], dangerous: true, hint: "edit",
               disabledReason: { state, _ in state.selection[.queues] == nil ? "no queue selected" : nil }) { state, _ in
            guard let queue = state.selection[.queues] else { return [] }
            return [.editConfig(queue: queue)]
        },
        Action([.character("p")], "pause / resume the queue", scopes: [.pane(.queues)], dangerous: true,
               disabledReason: { state, _ in state.selection[.queues] == nil ? "no queue selected" : nil }) { state, snapshot in
            guard let name = state.selection[.queues], let row = snapshot.queue(name) else { return [] }
            return [.setPaused(queue: name, paused: !row.queue.paused)]
        },
        Action([.character("y")], "show the queue configuration", scopes: [.pane(.queues)],
               disabledReason: { state, _ in state.selection[.queues] == nil ? "no queue selected" : nil }) { state, _ in
            guard let queue = state.selection[.queues] else { return [] }
            state.detailScroll = 0
            state.push(.config(queue: queue))
            return []
        },
        Action([.character("d")], "describe: full record / agent environment", scopes: panes, hint: "describe",
               disabledReason: { state, _ in state.selection[state.focus] == nil ? "nothing selected" : nil }) { state, _ in
            guard let id = state.selection[state.focus] else { return [] }
            state.detailScroll = 0
            switch state.focus {
            case .queues: state.push(.detail(.queue(id)))
            case .items:
                state.detailLink = 0
                state.push(.detail(.item(id)))
            case .agents: state.push(.detail(.agent(id)))
            }
            return []
        },
        Action([.character("l")], "logs and progress", scopes: [.pane(.items)], hint: "logs",
               disabledReason: { state, _ in state.selection[.items] == nil ? "no item selected" : nil }) { state, _ in
            guard let id = state.selection[.items] else { return [] }
            state.log = LogViewState()
            state.push(.log(item: id))
            return [.refresh]
        },
        Action([.character("x")], "stop the agent (it drains, then ends)", scopes: [.pane(.agents)], dangerous: true, hint: "stop",
               disabledReason: { state, snapshot in
                   guard let agent = state.selection[.agents].flatMap({ id in snapshot.agents.first { $0.id == id } }) else { return "no agent selected" }
                   return agent.isLive ? nil : "agent is \(agent.state)"
               }) { state, snapshot in
            guard let agent = state.selection[.agents].flatMap({ id in snapshot.agents.first { $0.id == id } }) else { return [] }
            let jobs = LiveStatus.jobs(agent, snapshot)
            let work = jobs == 0 ? "It has nothing in flight." : "Its \(jobs) running item\(jobs == 1 ? "" : "s") get its drain time, then go back to their queues."
            state.overlay = .confirm(ConfirmDialog(title: "Stop agent", message: "Stop agent \(agent.name) on \(agent.host)? \(work)",
                                                   effect: .stopAgent(id: agent.id)))
            return []
        },
        Action([.character("c")], "copy the selected id to the clipboard (OSC 52)", scopes: [.pane(.items), .pane(.agents), .pane(.queues), .log],
               disabledReason: { state, _ in copyTarget(state) == nil ? "nothing selected" : nil }) { state, snapshot in
            guard let id = copyTarget(state) else { return [] }
            state.flash(.info, "copied \(id)", now: snapshot.now)
            return [.copy(id)]
        },
        Action([.character("n")], "next match of the search", scopes: [.log],
               disabledReason: { state, _ in state.log.search.isEmpty ? "search first with /" : nil }) { state, _ in
            state.log.pendingMove = 1
            return []
        },
        Action([.character("N")], "previous match of the search", scopes: [.log],
               disabledReason: { state, _ in state.log.search.isEmpty ? "search first with /" : nil }) { state, _ in
            state.log.pendingMove = -1
            return []
        },
        Action([.character("f")], "follow the end of the log", scopes: [.log], hint: "follow") { state, _ in
            state.log.follow = true
            return []
        },
        Action([.character("w")], "wrap long lines", scopes: [.log], hint: "wrap") { state, _ in
            state.log.wrap.toggle()
            return []
        },
        Action([.character("t")], "stream: all / build / stdout / stderr", scopes: [.log], hint: "stream") { state, _ in
            let order: [LogStream?] = [nil, .build, .stdout, .stderr]
            let index = order.firstIndex(of: state.log.stream) ?? 0
            state.log.stream = order[(index + 1) % order.count]
            state.log.offset = 0
            return []
        },
    ]

    /// Quitting never throws running work away unasked: with items in flight on the dashboard's own agent it asks
    /// whether they keep running in the background (the answer Enter gives) or go back to their queues.
    static func quit(_ state: inout DeckState, _ snapshot: DeckSnapshot) -> [Effect] {
        if let own = state.ownAgent, let count = snapshot.inFlightByAgent[own], count > 0, !state.tooSmall {
            let name = snapshot.agents.first { $0.id == own }?.name ?? own
            let items = count == 1 ? "1 item runs" : "\(count) items run"
            state.overlay = .choice(ChoiceDialog(title: "Quit", message: "\(items) on this dashboard's agent \(name).", options: [
                .init(key: "k", label: "Keep \(count == 1 ? "it" : "them") running in the background, and quit", effects: [.quit(ownAgent: .keepRunning)]),
                .init(key: "s", label: "Stop the agent: \(count == 1 ? "the item goes" : "the items go") back to the queue, and quit",
                      effects: [.quit(ownAgent: .stop)]),
                .init(key: "c", label: "Cancel: stay in the dashboard", effects: []),
            ]))
            return []
        }
        state.quit = true
        return [.quit(ownAgent: state.tooSmall ? .keepRunning : .stopIfIdle)]
    }

    /// The scopes that apply now: the open screen, and on the main screen the focused pane.
    public static func scopes(_ state: DeckState) -> Set<ActionScope> {
        switch state.screen {
        case .main: [.global, .pane(state.focus)]
        case .jobs, .jobVersion: [.global, .jobs]
        case .log: [.global, .log]
        case .detail, .config: [.global, .detail]
        }
    }

    /// Actions available now; read-only mode drops the dangerous ones.
    public static func available(_ state: DeckState) -> [Action] {
        let scopes = scopes(state)
        return all.filter { !$0.scopes.isDisjoint(with: scopes) && !(state.readOnly && $0.isDangerous) }
    }

    static func filterTarget(_ state: DeckState) -> FilterTarget {
        switch state.screen {
        case .jobs, .jobVersion: .jobs
        case .log: .log
        default: .pane(state.focus)
        }
    }

    static func sortName(_ pane: Pane, _ order: SortOrder) -> String {
        let names = [Rows.queueSortColumns, Rows.itemSortColumns, Rows.agentSortColumns][pane.rawValue]
        return names[order.column % names.count] + (order.reversed ? " (reversed)" : "")
    }

    static func detailLinks(_ state: DeckState, _ snapshot: DeckSnapshot) -> [(label: String, id: String)] {
        guard case .detail(.item(let id)) = state.screen, let item = snapshot.item(id) else { return [] }
        return DetailScreen.links(item, snapshot)
    }

    /// What `c` copies: the log view's item, or the focused pane's selection.
    static func copyTarget(_ state: DeckState) -> String? {
        if case .log(let id) = state.screen { return id }
        return state.selection[state.focus]
    }

    /// What r and Ctrl-D act on: the marked items of the pane when there are any, else the selected one.
    static func targets(_ state: DeckState, _ snapshot: DeckSnapshot) -> [LaunchItem] {
        if case .log = state.screen { return selectedItem(state, snapshot).map { [$0] } ?? [] }
        let marked = state.marked.compactMap(snapshot.item).sorted { $0.id < $1.id }
        if !marked.isEmpty { return marked }
        return selectedItem(state, snapshot).map { [$0] } ?? []
    }

    static func selectedItem(_ state: DeckState, _ snapshot: DeckSnapshot) -> LaunchItem? {
        if case .log(let id) = state.screen { return snapshot.item(id) }
        return state.selection[.items].flatMap(snapshot.item)
    }

    static func openForm(_ state: inout DeckState, _ snapshot: DeckSnapshot, from item: LaunchItem?) {
        var queueName = state.selectedQueue
        var jobName: String?
        switch state.screen {
        case .jobs:
            let jobs = Rows.jobs(snapshot, state)
            jobName = jobs.indices.contains(state.jobsSelection) ? jobs[state.jobsSelection].name : nil
            queueName = queueName ?? snapshot.queues.first?.queue.name
        case .jobVersion(let name, _):
            // The job on screen, not the first of the list.
            jobName = name
            queueName = queueName ?? snapshot.queues.first?.queue.name
        default:
            // On the main screen the form starts on the job of the selected item, when it is in this queue: the
            // usual next step after watching one run is another of the same job.
            if let selected = state.selection[.items].flatMap(snapshot.item), selected.queue == queueName { jobName = selected.jobName }
        }
        if let item { queueName = item.queue }
        guard let name = queueName, let row = snapshot.queue(name) else { return }
        var form = item.map { EnqueueForm(queue: row.queue, jobs: snapshot.jobs, from: $0) }
            ?? EnqueueForm(queue: row.queue, jobs: snapshot.jobs, job: jobName)
        form.warning = QueueWait.reason(queue: name, snapshot)
        state.overlay = .form(form)
    }

    static func move(_ state: inout DeckState, _ snapshot: DeckSnapshot, by step: Int) -> [Effect] {
        switch state.screen {
        case .main:
            let ids = Rows.ids(state.focus, snapshot, state)
            guard !ids.isEmpty else { return [] }
            let current = state.selection[state.focus].flatMap { ids.firstIndex(of: $0) } ?? 0
            let next = max(0, min(ids.count - 1, current.addingReportingOverflow(step).overflow ? (step > 0 ? ids.count - 1 : 0) : current + step))
            select(&state, pane: state.focus, id: ids[next])
        case .jobs:
            let count = Rows.jobs(snapshot, state).count
            state.jobsSelection = max(0, min(count - 1, clampedAdd(state.jobsSelection, step)))
        case .log:
            if step < 0 { state.log.follow = false }
            state.log.offset = max(0, clampedAdd(state.log.offset, step))
            if step > 0 && step >= Int.max / 4 { state.log.follow = true }
        case .detail, .config, .jobVersion:
            state.detailScroll = max(0, min(10_000, clampedAdd(state.detailScroll, step)))
        }
        return []
    }

    /// A page: the rows the focused pane (or the open view) showed last.
    static func page(_ state: DeckState) -> Int {
        switch state.screen {
        case .main: max(1, state.pageRows[state.focus] ?? 20)
        default: max(1, state.viewRows)
        }
    }

    static func clampedAdd(_ value: Int, _ step: Int) -> Int {
        let (sum, overflow) = value.addingReportingOverflow(step)
        return overflow ? (step > 0 ? Int.max / 2 : 0) : sum
    }

    /// Selecting a queue also chooses which items the Items pane shows.
    static func select(_ state: inout DeckState, pane: Pane, id: String) {
        state.selection[pane] = id
        if pane == .queues && state.selectedQueue != id {
            state.selectedQueue = id
            state.selection[.items] = nil
            state.scroll[.items] = 0
        }
    }

    static func drill(_ state: inout DeckState, _ snapshot: DeckSnapshot) -> [Effect] {
        switch state.screen {
        case .jobs:
            let jobs = Rows.jobs(snapshot, state)
            guard jobs.indices.contains(state.jobsSelection) else { return [] }
            state.detailScroll = 0
            state.push(.jobVersion(name: jobs[state.jobsSelection].name, version: jobs[state.jobsSelection].latest.version))
            return []
        case .main:
            switch state.focus {
            case .queues:
                if state.selection[.queues] != nil { state.focus = .items }
            case .items:
                guard let id = state.selection[.items] else { return [] }
                state.log = LogViewState()
                state.push(.log(item: id))
                return [.refresh]
            case .agents:
                guard let id = state.selection[.agents] else { return [] }
                state.detailScroll = 0
                state.push(.detail(.agent(id)))
            }
        default:
            break
        }
        return []
    }
}
