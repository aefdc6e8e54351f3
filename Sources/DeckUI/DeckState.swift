import Foundation
import LaunchAPI
import LaunchModel

/// The three panes of the main screen.
public enum Pane: Int, Sendable, CaseIterable, Hashable {
    case queues, items, agents

    public var title: String {
        switch self {
        case .queues: "Queues"
        case .items: "Items"
        case .agents: "Agents"
        }
    }
}

/// Full-screen views; Esc goes back to the previous one.
public enum Screen: Sendable, Hashable {
    case main
    case jobs
    case jobVersion(name: String, version: Int)
    case log(item: String)
    case detail(DetailSubject)
    case config(queue: String)
}

public enum DetailSubject: Sendable, Hashable {
    case queue(String), item(String), agent(String)
}

/// What floats above the screen and takes the keys first.
public enum Overlay: Sendable {
    case help
    case confirm(ConfirmDialog)
    case message(title: String, lines: [String], role: Role)
    case editFailed(queue: String, issues: [String])
    case form(EnqueueForm)
    case command(text: String)
    case filter(pane: FilterTarget, text: String)
    case choice(ChoiceDialog)
}

/// A question with a few answers, each on a key; Enter takes the highlighted one (the first, the safe one, unless moved),
/// Esc none.
public struct ChoiceDialog: Sendable {
    public struct Option: Sendable {
        public var key: Character
        public var label: String
        public var effects: [Effect]
    }

    public var title: String
    public var message: String
    public var options: [Option]
    public var selected = 0
}

/// Where a `/` filter applies: a pane of the main screen, or the log view's search.
public enum FilterTarget: Sendable, Hashable {
    case pane(Pane), jobs, log
}

/// A yes/no question; the default answer is No, so Enter alone never does damage.
public struct ConfirmDialog: Sendable {
    public var title: String
    public var message: String
    public var yes: Bool = false
    public var effect: Effect
}

/// Info, warning or error, shown on the flash line until the next one or for a few seconds.
public struct Flash: Sendable {
    public enum Level: Sendable { case info, warning, error }
    public var level: Level
    public var text: String
    public var at: Date
}

/// A pane's sort: which column and which way.
public struct SortOrder: Sendable, Hashable {
    public var column: Int
    public var reversed: Bool
}

/// Log view state: follow the end, or stay where the user scrolled.
public struct LogViewState: Sendable {
    public var follow = true
    /// Lines from the top of the (filtered) log to the first shown one, when not following.
    public var offset = 0
    public var wrap = false
    public var search: String = ""
    public var stream: LogStream? = nil
    /// Which match of the search the view is on (shown as "3/17"), and a move to make at the next frame: 0 to the
    /// nearest match from where the view is, +1/-1 to the next or previous (n, N).
    public var match: Int?
    public var pendingMove: Int?
}

/// Everything the dashboard's views show besides the data: focus, selection by id, filters, sorts, the open screen.
public struct DeckState: Sendable {
    public var focus: Pane = .queues
    public var selectedQueue: String?
    /// The selected row of each pane, by id, so refreshes never move the selection.
    public var selection: [Pane: String] = [:]
    public var scroll: [Pane: Int] = [:]
    public var filters: [FilterTarget: String] = [:]
    public var sort: [Pane: SortOrder] = [:]
    public var screens: [Screen] = [.main]
    public var overlay: Overlay?
    public var flash: Flash?
    public var readOnly = false
    public var log = LogViewState()
    public var jobsSelection = 0
    public var detailScroll = 0
    public var quit = false
    /// An item just enqueued: select it as soon as a snapshot holds it.
    public var pendingSelection: String?
    public var themeName = "default"
    /// The agent this dashboard started (or found running for it): quitting asks before it touches its work.
    public var ownAgent: String?
    /// The last frame was too small to draw: keys do nothing but quit until the terminal grows.
    public var tooSmall = false
    /// The key being handled, for actions that answer two keys differently (q and Ctrl-C).
    public var lastKey: Key?
    /// Rows each pane showed in the last frame: PgUp and PgDn move by that much.
    public var pageRows: [Pane: Int] = [:]
    /// Rows the open full-screen view (log, detail) showed in the last frame.
    public var viewRows = 20
    /// Items marked with Space: relaunch and cancel act on all of them.
    public var marked: Set<String> = []
    /// The link chosen in an item's detail view (relaunch of, relaunched as): Enter opens it.
    public var detailLink = 0

    public init(readOnly: Bool = false) {
        self.readOnly = readOnly
    }

    public var screen: Screen { screens.last ?? .main }

    public mutating func push(_ screen: Screen) {
        screens.append(screen)
    }

    public mutating func pop() {
        if screens.count > 1 { screens.removeLast() }
    }

    /// `now` is the snapshot's clock, the one flashes expire by (`DeckApp.expireFlash`).
    public mutating func flash(_ level: Flash.Level, _ text: String, now: Date) {
        flash = Flash(level: level, text: text, at: now)
    }

    /// Messages waiting for the flash line: several things may need saying at start (a bad theme file and no local
    /// agent), and the line holds one.
    public var laterFlashes: [Flash] = []

    /// Shows the message now if the line is free, else once what is there has had its time.
    public mutating func flashLater(_ level: Flash.Level, _ text: String, now: Date = Date()) {
        if flash == nil { flash(level, text, now: now) } else { laterFlashes.append(Flash(level: level, text: text, at: now)) }
    }

    /// Clears a message shown for long enough and brings on the next one waiting.
    mutating func expireFlash(now: Date) {
        guard let current = flash, now.timeIntervalSince(current.at) > 8 else { return }
        flash = nil
        if !laterFlashes.isEmpty {
            var next = laterFlashes.removeFirst()
            next.at = now
            flash = next
        }
    }
}

/// Work the dashboard asks its host to do: backend writes, the editor, quitting.
public enum Effect: Sendable {
    case enqueue(EnqueueRequest)
    /// One item, or every marked one.
    case relaunch(items: [String])
    case cancel(items: [String])
    case editConfig(queue: String)
    case setPaused(queue: String, paused: Bool)
    /// The user gave up an invalid configuration edit.
    case discardEdit(queue: String)
    case setTheme(String)
    case refresh
    /// Leave the dashboard, and what becomes of its own agent's work.
    case quit(ownAgent: QuitChoice)
    /// Ask an agent to drain and stop (`agent stop`).
    case stopAgent(id: String)
    /// Put text on the terminal's clipboard (OSC 52).
    case copy(String)
    /// Look at another backend (`:backend NAME`: a profile's server, or `embedded`).
    case switchBackend(String)
}

/// What quitting does to the dashboard's own agent.
public enum QuitChoice: Sendable, Hashable {
    /// It keeps running in the background with its items.
    case keepRunning
    /// It drains: its items go back to their queues.
    case stop
    /// Stopped when it has nothing in flight, else kept running: nothing running is ever thrown away unasked.
    case stopIfIdle
}
