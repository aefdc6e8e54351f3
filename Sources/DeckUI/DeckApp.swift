import Foundation
import LaunchModel

/// The dashboard's controller: takes snapshots and keys, keeps the UI state, and renders frames.
/// It runs on the UI thread only; it never touches the backend or the terminal itself (it returns effects).
public final class DeckApp {
    public var state: DeckState
    public private(set) var snapshot = DeckSnapshot()
    /// Theme names for `:theme` completion.
    public var themeNames: [String] = []
    /// Backend names for `:backend` (the embedded store and the profiles of config.yaml); empty: it cannot switch.
    public var backendNames: [String] = []
    public var context: String = ""
    public static let minimumWidth = 40
    public static let minimumHeight = 10
    static let commands = ["queues", "queue", "items", "jobs", "agents", "theme", "backend", "q"]
    /// Commands that take a name, completed after a space.
    static let namedCommands = ["theme", "items", "queue", "backend"]

    public init(state: DeckState = DeckState()) {
        self.state = state
    }

    /// Takes a new snapshot, keeping every selection by id; a row that disappeared gives way to its pane's first row.
    public func receive(_ next: DeckSnapshot) {
        snapshot = next
        reconcileSelections()
    }

    /// Every pane's selection names a row the pane shows: after a new snapshot, and after every key, since a filter,
    /// a sort or another queue can hide the selected row, and an action must never act on a row not on screen.
    private func reconcileSelections() {
        let next = snapshot
        let queues = Rows.queues(next, state)
        if state.selection[.queues].flatMap({ id in queues.first { $0.queue.name == id } }) == nil {
            state.selection[.queues] = queues.first?.queue.name
        }
        if state.selectedQueue != state.selection[.queues] {
            state.selectedQueue = state.selection[.queues]
            state.selection[.items] = nil
        }
        if let pending = state.pendingSelection, let item = next.item(pending) {
            state.selection[.queues] = item.queue
            state.selectedQueue = item.queue
            state.selection[.items] = item.id
            state.focus = .items
            state.pendingSelection = nil
        }
        let items = Rows.items(next, state)
        if state.selection[.items].flatMap({ id in items.first { $0.id == id } }) == nil {
            state.selection[.items] = items.first?.id
        }
        let agents = Rows.agents(next, state)
        if state.selection[.agents].flatMap({ id in agents.first { $0.id == id } }) == nil {
            state.selection[.agents] = agents.first?.id
        }
    }

    public func flashLater(_ level: Flash.Level, _ text: String) {
        state.flashLater(level, text, now: snapshot.now)
    }

    public func flash(_ level: Flash.Level, _ text: String) {
        state.flash(level, text, now: snapshot.now)
    }

    /// Handles one key; returns what the host must do.
    public func handle(_ key: Key) -> [Effect] {
        let effects = dispatch(key)
        // Not while a filter is being typed: each partial text would move the selection; it settles on Enter.
        if case .filter? = state.overlay { return effects }
        reconcileSelections()
        return effects
    }

    private func dispatch(_ key: Key) -> [Effect] {
        if key == .resize { return [] }
        state.lastKey = key
        // "terminal too small" is all there is to see: only quitting does anything until it grows.
        if state.tooSmall {
            guard key == .character("q") || key == .control("c") else { return [] }
            return ActionTable.quit(&state, snapshot)
        }
        if let overlay = state.overlay {
            // Ctrl-C leaves a form or a prompt, as Esc does.
            if key == .control("c") {
                switch overlay {
                case .form, .command, .filter: return handleOverlay(overlay, .escape)
                default: break
                }
            }
            return handleOverlay(overlay, key)
        }
        if state.screen == .main, case .character(let character) = key, let number = Int(String(character)), (1...3).contains(number) {
            state.focus = Pane(rawValue: number - 1) ?? .queues
            return []
        }
        for action in ActionTable.available(state) where action.keys.contains(key) {
            if let reason = action.disabledReason(state, snapshot) {
                flash(.warning, "\(action.title): \(reason)")
                return []
            }
            return action.handler(&state, snapshot)
        }
        if state.readOnly, ActionTable.all.contains(where: { $0.isDangerous && $0.keys.contains(key) && !$0.scopes.isDisjoint(with: ActionTable.scopes(state)) }) {
            flash(.warning, "read-only: \(key.label) is not available")
        }
        return []
    }

    private func handleOverlay(_ overlay: Overlay, _ key: Key) -> [Effect] {
        switch overlay {
        case .help, .message:
            state.overlay = nil
        case .confirm(var dialog):
            switch key {
            case .left, .right, .tab, .backTab:
                dialog.yes.toggle()
                state.overlay = .confirm(dialog)
            case .character("y"), .character("Y"):
                state.overlay = nil
                return [dialog.effect]
            case .enter:
                state.overlay = nil
                return dialog.yes ? [dialog.effect] : []
            case .escape, .character("n"), .character("N"), .character("q"):
                state.overlay = nil
            default:
                break
            }
        case .editFailed(let queue, _):
            switch key {
            case .enter, .character("e"):
                state.overlay = nil
                return [.editConfig(queue: queue)]
            case .escape, .character("q"):
                state.overlay = nil
                flash(.warning, "edit of \(queue) discarded; configuration unchanged")
                return [.discardEdit(queue: queue)]
            default:
                break
            }
        case .form(var form):
            switch form.handle(key) {
            case .editing:
                state.overlay = .form(form)
            case .cancel:
                state.overlay = nil
            case .submit(let request):
                state.overlay = nil
                return [.enqueue(request)]
            }
        case .command(var text):
            switch key {
            case .escape:
                state.overlay = nil
            case .enter:
                state.overlay = nil
                return runCommand(text)
            case .tab:
                state.overlay = .command(text: complete(text))
            case .backspace:
                if !text.isEmpty { text.removeLast() }
                state.overlay = .command(text: text)
            case .character(let character):
                text.append(character)
                state.overlay = .command(text: text)
            default:
                break
            }
        case .choice(var dialog):
            switch key {
            case .left, .up, .backTab:
                dialog.selected = (dialog.selected + dialog.options.count - 1) % dialog.options.count
                state.overlay = .choice(dialog)
            case .right, .down, .tab:
                dialog.selected = (dialog.selected + 1) % dialog.options.count
                state.overlay = .choice(dialog)
            case .enter:
                state.overlay = nil
                return finish(dialog.options[dialog.selected].effects)
            case .escape:
                state.overlay = nil
            case .character(let character):
                if let option = dialog.options.first(where: { $0.key == character }) {
                    state.overlay = nil
                    return finish(option.effects)
                }
            default:
                break
            }
        case .filter(let target, var text):
            switch key {
            case .escape:
                state.overlay = nil
                setFilter(target, nil)
            case .enter:
                state.overlay = nil
            case .backspace:
                if !text.isEmpty { text.removeLast() }
                state.overlay = .filter(pane: target, text: text)
                setFilter(target, text)
            case .character(let character):
                text.append(character)
                state.overlay = .filter(pane: target, text: text)
                setFilter(target, text)
            default:
                break
            }
        }
        return []
    }

    /// Effects of a dialog's answer; a quit among them ends the dashboard.
    private func finish(_ effects: [Effect]) -> [Effect] {
        if effects.contains(where: { if case .quit = $0 { true } else { false } }) { state.quit = true }
        return effects
    }

    private func setFilter(_ target: FilterTarget, _ text: String?) {
        let value = (text?.isEmpty ?? true) ? nil : text
        if target == .log {
            state.log.search = value ?? ""
            state.log.match = nil
            state.log.pendingMove = value == nil ? nil : 0
        } else {
            state.filters[target] = value
        }
        if case .pane(let pane) = target { state.scroll[pane] = 0 }
    }

    /// `:` commands.
    func runCommand(_ text: String) -> [Effect] {
        let words = text.split(separator: " ").map(String.init)
        guard let command = words.first else { return [] }
        switch command {
        case "q", "quit", "q!":
            return ActionTable.quit(&state, snapshot)
        case "queues", "queue", "qs":
            state.screens = [.main]
            state.focus = .queues
            if let name = words.dropFirst().first {
                guard snapshot.queue(name) != nil else {
                    flash(.error, "no queue \(name)")
                    return []
                }
                ActionTable.select(&state, pane: .queues, id: name)
            }
        case "items", "item", "it":
            // As `:pods NS` in k9s: the items of that queue.
            state.screens = [.main]
            state.focus = .items
            if let name = words.dropFirst().first {
                guard snapshot.queue(name) != nil else {
                    flash(.error, "no queue \(name) (:items NAME shows a queue's items; / filters them)")
                    return []
                }
                ActionTable.select(&state, pane: .queues, id: name)
            }
        case "agents", "agent", "ag":
            state.screens = [.main]
            state.focus = .agents
        case "jobs", "job":
            state.screens = [.main, .jobs]
        case "theme":
            guard words.count == 2 else {
                flash(.warning, ":theme NAME (\(themeNames.joined(separator: ", ")))")
                return []
            }
            return [.setTheme(words[1])]
        case "backend", "ctx":
            guard !backendNames.isEmpty else {
                flash(.warning, ":backend is not available here")
                return []
            }
            guard words.count == 2 else {
                flash(.info, "showing \(context); :backend NAME (\(backendNames.joined(separator: ", ")))")
                return []
            }
            guard backendNames.contains(words[1]) else {
                flash(.error, "no backend \(words[1]) (\(backendNames.joined(separator: ", ")); profiles live in config.yaml)")
                return []
            }
            return [.switchBackend(words[1])]
        default:
            flash(.error, "unknown command :\(command) (try :queues :items :jobs :agents :theme :backend :q)")
        }
        return []
    }

    func complete(_ text: String) -> String {
        for (command, names) in [("theme ", themeNames), ("backend ", backendNames)] where text.hasPrefix(command) {
            let prefix = String(text.dropFirst(command.count))
            let matches = names.filter { $0.hasPrefix(prefix) }
            return matches.count == 1 ? command + matches[0] : command + commonPrefix(matches, fallback: prefix)
        }
        for command in ["items ", "queue "] where text.hasPrefix(command) {
            let prefix = String(text.dropFirst(command.count))
            let matches = snapshot.queues.map(\.queue.name).filter { $0.hasPrefix(prefix) }
            return matches.count == 1 ? command + matches[0] : command + commonPrefix(matches, fallback: prefix)
        }
        let matches = Self.commands.filter { $0.hasPrefix(text) }
        if matches.count == 1 { return matches[0] + (Self.namedCommands.contains(matches[0]) ? " " : "") }
        return commonPrefix(matches, fallback: text)
    }

    private func commonPrefix(_ words: [String], fallback: String) -> String {
        guard var prefix = words.first else { return fallback }
        for word in words.dropFirst() {
            while !word.hasPrefix(prefix) { prefix.removeLast() }
        }
        return prefix.count > fallback.count ? prefix : fallback
    }

    /// Draws a frame of the given size.
    public func render(width: Int, height: Int) -> ScreenBuffer {
        var buffer = ScreenBuffer(width: width, height: height)
        state.tooSmall = width < Self.minimumWidth || height < Self.minimumHeight
        guard !state.tooSmall else {
            let lines = ["terminal too small", "(need \(Self.minimumWidth) x \(Self.minimumHeight),", "have \(width) x \(height))"]
            for (index, line) in lines.enumerated() where index < height {
                buffer.put(line, x: max(0, (width - DisplayWidth.of(line)) / 2), y: max(0, height / 2 - 1) + index, role: .flashWarn)
            }
            return buffer
        }
        state.expireFlash(now: snapshot.now)
        Chrome.titleBar(&buffer, state: state, snapshot: snapshot, context: context)
        let top = 1
        let bodyHeight = height - 3
        state.viewRows = max(1, bodyHeight - 2)
        switch state.screen {
        case .main:
            MainScreen.draw(&buffer, state: &state, snapshot: snapshot, top: top, height: bodyHeight)
        case .jobs:
            JobsScreen.draw(&buffer, state: &state, snapshot: snapshot, top: top, height: bodyHeight)
        case .jobVersion(let name, _):
            let lines = snapshot.jobs.first { $0.name == name }.map { DetailScreen.jobVersion($0.latest) } ?? [[("job \(name) not found", .flashWarn)]]
            DetailScreen.draw(&buffer, lines: lines, title: "Job \(name)", scroll: &state.detailScroll, top: top, height: bodyHeight)
        case .log(let item):
            LogScreen.draw(&buffer, state: &state, snapshot: snapshot, itemID: item, top: top, height: bodyHeight)
        case .detail(let subject):
            let (title, lines) = detail(subject)
            DetailScreen.draw(&buffer, lines: lines, title: title, scroll: &state.detailScroll, top: top, height: bodyHeight)
        case .config(let queue):
            let lines = snapshot.queue(queue).map { DetailScreen.yaml($0.queue.config.redactedText) } ?? [[("queue \(queue) not found", .flashWarn)]]
            DetailScreen.draw(&buffer, lines: lines, title: "Configuration of \(queue) (read-only; e on the queue edits)",
                              scroll: &state.detailScroll, top: top, height: bodyHeight)
        }
        Chrome.flashLine(&buffer, state: state, y: height - 2)
        Chrome.hintBar(&buffer, state: state, y: height - 1)
        if let overlay = state.overlay {
            Overlays.draw(overlay, into: &buffer, state: state, snapshot: snapshot)
        }
        return buffer
    }

    private func detail(_ subject: DetailSubject) -> (String, [DetailScreen.Line]) {
        switch subject {
        case .queue(let name):
            guard let row = snapshot.queue(name) else { return ("Queue \(name)", [[("not found", .flashWarn)]]) }
            return ("Queue \(name)", DetailScreen.queue(row))
        case .item(let id):
            guard let item = snapshot.item(id) else { return ("Item \(id)", [[("not found", .flashWarn)]]) }
            let agentName = item.agentID.flatMap { id in snapshot.agents.first { $0.id == id }?.name }
            let waiting = item.state == .queued ? QueueWait.reason(queue: item.queue, snapshot) : nil
            let links = DetailScreen.links(item, snapshot)
            return ("Item \(id)", DetailScreen.item(item, agentName: agentName, waiting: waiting, links: links,
                                                    selectedLink: links.isEmpty ? 0 : state.detailLink % links.count,
                                                    attempts: AttemptLog.entries(in: snapshot.logs[id] ?? [])))
        case .agent(let id):
            guard let agent = snapshot.agents.first(where: { $0.id == id }) else { return ("Agent \(id)", [[("not found", .flashWarn)]]) }
            let status = snapshot.agentStatuses[id].map { status in
                DetailScreen.AgentStatusLines(
                    inFlight: status.inFlight.map { "\($0.id)  \($0.job)  \($0.state)" + ($0.progress.map { "  " + $0.summary } ?? "") },
                    events: status.events.suffix(8).map { "\(LocalTime.timeOfDay($0.at))  \($0.message)" })
            }
            return ("Agent \(agent.name) · environment", DetailScreen.agent(agent, status: status))
        }
    }
}
