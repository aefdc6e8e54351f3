import Foundation
import LaunchAPI
import LaunchModel
import Synchronization

/// Connects the dashboard to the world: runs effects against the backend, polls through the state store,
/// and hands results to the UI thread through an inbox plus a wake-up call (the driver's wake pipe).
public final class DeckSession {
    public enum TerminalRequest: Sendable {
        /// Suspend the screen, run `editConfig(queue:)`, resume.
        case edit(queue: String)
        case quit
        /// Write an OSC 52 clipboard sequence.
        case copy(String)
    }

    /// How the user quit, for the host to carry out once the screen is given back (nil: not by a key, say SIGHUP).
    public private(set) var quitChoice: QuitChoice?

    enum Event: Sendable {
        /// A snapshot of the backend of that generation: one read before a `:backend` switch is dropped.
        case snapshot(DeckSnapshot, generation: Int)
        case switched(name: String, BackendConnection)
        case flash(Flash.Level, String)
        case select(item: String)
        case editFailed(queue: String, issues: [String])
    }

    public let app: DeckApp
    private(set) var store: StateStore
    private(set) var backend: any LaunchBackend
    /// Counts `:backend` switches, so that what the previous backend still returns is not shown as this one's.
    private var generation = 0
    /// Read-only by the user's choice (`--read-only`), whatever backend is looked at.
    private let requestedReadOnly: Bool
    let refresh: Duration
    /// The only state background tasks touch: they post here and wake the UI thread.
    private let mailbox: Mailbox
    private var edits: [String: ConfigEditSession] = [:]
    private var watched: String?
    private var poller: Task<Void, Never>?
    /// Called on the UI thread when `:theme` picks a theme.
    public var onTheme: ((String) -> String?)?
    /// Makes the file a queue's configuration is edited in (from the queue's name): private to this user, since a
    /// configuration may hold secrets. The command line gives one in its runtime directory.
    public var makeEditFile: (String) throws -> URL = { _ in throw LaunchError.storage("no private directory for edits was given") }
    /// The file each queue's edit uses, kept while its text waits to be fixed.
    private var editFileOf: [String: URL] = [:]
    /// Opens the backend `:backend NAME` names (off the UI thread); nil: the dashboard cannot switch.
    public var connect: (@Sendable (String) async throws -> BackendConnection)?

    public init(app: DeckApp, store: StateStore, backend: any LaunchBackend, refresh: Duration, requestedReadOnly: Bool = false,
                wake: @escaping @Sendable () -> Void) {
        self.app = app
        self.store = store
        self.backend = backend
        self.refresh = refresh
        self.requestedReadOnly = requestedReadOnly
        mailbox = Mailbox(wake: wake)
    }

    final class Mailbox: Sendable {
        let events = Mutex<[Event]>([])
        /// A log or agent view is open: poll faster.
        let watching = Mutex<Bool>(false)
        let wake: @Sendable () -> Void

        init(wake: @escaping @Sendable () -> Void) {
            self.wake = wake
        }

        func post(_ event: Event) {
            events.withLock { $0.append(event) }
            wake()
        }
    }

    deinit { poller?.cancel() }

    /// Polls every `refresh` (every 500 ms while a log or agent view is open); overlapping polls are dropped by the store.
    public func start() {
        poller?.cancel()
        let store = self.store
        let refresh = self.refresh
        let mailbox = self.mailbox
        let generation = self.generation
        let focused = app.state.selectedQueue ?? app.state.selection[.queues]
        poller = Task {
            // A long first load shows its frames as they come (the counts, the newest items), not only at the end.
            await store.focus(queue: focused)
            let show: @Sendable (DeckSnapshot) async -> Void = { mailbox.post(.snapshot($0, generation: generation)) }
            while !Task.isCancelled {
                if let snapshot = await store.poll(progress: show) { await show(snapshot) }
                let interval: Duration = mailbox.watching.withLock { $0 } ? .milliseconds(500) : refresh
                try? await Task.sleep(for: interval)
            }
        }
    }

    public func stop() { poller?.cancel() }


    /// Applies what arrived since the last call; on the UI thread.
    public func drain() {
        let events = mailbox.events.withLock { events -> [Event] in
            defer { events.removeAll() }
            return events
        }
        for event in events {
            switch event {
            case .snapshot(let snapshot, let generation):
                if generation == self.generation { app.receive(snapshot) }
            case .switched(let name, let connection): use(connection, named: name)
            case .flash(let level, let text): app.flash(level, text)
            case .select(let item): app.state.pendingSelection = item
            case .editFailed(let queue, let issues): app.state.overlay = .editFailed(queue: queue, issues: issues)
            }
        }
        syncWatch()
    }

    /// Handles a key on the UI thread; returns what only the terminal driver can do.
    public func key(_ key: Key) -> TerminalRequest? {
        let effects = app.handle(key)
        var request: TerminalRequest?
        for effect in effects {
            switch effect {
            case .quit(let choice):
                quitChoice = choice
                request = .quit
            case .editConfig(let queue): request = .edit(queue: queue)
            case .copy(let text): request = .copy(text)
            default: perform(effect)
            }
        }
        syncWatch()
        return request
    }

    public func frame(width: Int, height: Int) -> ScreenBuffer {
        app.render(width: width, height: height)
    }

    /// Tells the store which log to read, and whether agents' live status is wanted.
    private func syncWatch() {
        var item: String?
        var agentView = false
        switch app.state.screen {
        case .log(let id), .detail(.item(let id)): item = id
        case .detail(.agent): agentView = true
        default: break
        }
        let live = item != nil || agentView
        guard item != watched || mailbox.watching.withLock({ $0 }) != live else { return }
        watched = item
        mailbox.watching.withLock { $0 = live }
        let store = self.store
        pollNow { [item] in
            await store.watch(item: item)
            await store.watchAgentStatus(live)
        }
    }

    /// Runs `first`, then polls at once and shows the result, unless a `:backend` switch came in between.
    private func pollNow(after first: @escaping @Sendable () async -> Void = {}) {
        let store = self.store
        let mailbox = self.mailbox
        let generation = self.generation
        Task {
            await first()
            if let snapshot = await store.poll(force: true) { mailbox.post(.snapshot(snapshot, generation: generation)) }
        }
    }

    /// `:backend NAME`: opened off the UI thread; the screen keeps the current backend until the other one answers.
    private func switchBackend(to name: String) {
        guard let connect else { return }
        // An edit waiting to be fixed belongs to this backend's queue: switching would strand the user's text.
        if let queue = edits.keys.sorted().first {
            app.flash(.warning, "the edit of queue \(queue) is not saved yet: save or discard it (e on the queue) before :backend")
            return
        }
        app.flash(.info, "connecting to \(name)...")
        let mailbox = self.mailbox
        Task {
            do {
                mailbox.post(.switched(name: name, try await connect(name)))
            } catch {
                mailbox.post(.flash(.error, "backend \(name): \(error); still showing the previous one"))
            }
        }
    }

    /// Shows `connection` from now on: a new state store (nothing of the previous backend's state is kept), polled
    /// at once; the title bar names it.
    private func use(_ connection: BackendConnection, named name: String) {
        generation += 1
        backend = connection.backend
        store = StateStore(source: BackendSource(backend: connection.backend, statuses: connection.statuses))
        watched = nil
        app.context = connection.backend.location
        app.state.readOnly = requestedReadOnly || connection.backend.readOnlyReason != nil
        app.state.marked = []
        app.state.screens = [.main]
        app.receive(DeckSnapshot())
        app.flash(.info, "backend \(name): \(connection.backend.location)")
        if poller != nil { start() }
    }

    private func perform(_ effect: Effect) {
        let backend = self.backend
        switch effect {
        case .enqueue(let request):
            run(request.relaunchOf == nil ? "enqueue" : "relaunch") {
                let item = try await backend.enqueue(request)
                if let original = request.relaunchOf {
                    return [.select(item: item.id), .flash(.info, "relaunched \(original) as \(item.id) with changes")]
                }
                return [.select(item: item.id), .flash(.info, "enqueued \(item.id) (\(item.jobReference)) on \(item.queue)")]
            }
        case .relaunch(let ids):
            app.state.marked = []
            run("relaunch") {
                var last: LaunchItem?
                for id in ids { last = try await backend.relaunch(itemID: id) }
                guard let last else { return [] }
                return ids.count == 1 ? [.select(item: last.id), .flash(.info, "relaunched \(ids[0]) as \(last.id)")]
                    : [.flash(.info, "relaunched \(ids.count) items")]
            }
        case .cancel(let ids):
            app.state.marked = []
            run("cancel") {
                for id in ids { _ = try await backend.cancel(itemID: id) }
                return [.flash(.info, ids.count == 1 ? "cancelled \(ids[0])" : "cancelled \(ids.count) items")]
            }
        case .setPaused(let queue, let paused):
            run(paused ? "pause" : "resume") {
                _ = try await backend.setQueuePaused(name: queue, paused: paused)
                return [.flash(.info, "queue \(queue) \(paused ? "paused" : "resumed")")]
            }
        case .discardEdit(let queue):
            edits[queue] = nil
            // The text may hold secrets: nothing of a discarded edit stays behind.
            if let file = editFileOf.removeValue(forKey: queue) { try? FileManager.default.removeItem(at: file) }
        case .setTheme(let name):
            if let problem = onTheme?(name) {
                app.flash(.error, problem)
            } else {
                app.state.themeName = name
                app.flash(.info, "theme \(name)")
            }
        case .refresh:
            pollNow()
        case .switchBackend(let name):
            switchBackend(to: name)
        case .stopAgent(let id):
            run("stop agent") {
                let agent = try await backend.requestAgentStop(id)
                return [.flash(.info, "asked agent \(agent.name) to stop; it drains at its next heartbeat")]
            }
        case .quit, .editConfig, .copy:
            break
        }
    }

    /// Runs a backend call off the UI thread, then refreshes at once so the user sees the result.
    private func run(_ what: String, _ body: @escaping @Sendable () async throws -> [Event]) {
        let mailbox = self.mailbox
        pollNow {
            do {
                for event in try await body() { mailbox.post(event) }
            } catch {
                mailbox.post(.flash(.error, "\(what) failed: \(error)"))
            }
        }
    }

    /// Edits a queue's configuration in `$VISUAL`/`$EDITOR` while the driver has the screen suspended.
    /// Invalid text is kept: the dashboard shows the errors in a dialog and Enter reopens the editor on the user's text.
    public func editConfig(queue name: String, editor: (URL) throws -> Void) {
        let backend = self.backend
        guard let queue = blocking({ try await backend.queue(named: name) }) else {
            app.flash(.error, "queue \(name) not found")
            return
        }
        var session = edits[name] ?? ConfigEditSession(target: queue.target, original: queue.config.text, baseVersion: queue.configVersion)
        do {
            let file = try editFileOf[name] ?? makeEditFile(name)
            editFileOf[name] = file
            try Data(session.fileContents.utf8).write(to: file)
            try editor(file)
            let text = String(decoding: try Data(contentsOf: file), as: UTF8.self)
            switch session.submit(text, source: file.path) {
            case .unchanged:
                edits[name] = nil
                editFileOf[name] = nil
                try? FileManager.default.removeItem(at: file)
                app.flash(.info, "queue \(name): no changes")
            case .saved(let config):
                let version = session.baseVersion
                let outcome = blocking { () -> ConfigSaveOutcome in
                    do {
                        _ = try await backend.updateQueueConfig(name: name, config: config, expectedVersion: version)
                        return .saved
                    } catch LaunchError.conflict(let message) {
                        guard let current = try? await backend.queue(named: name) else { return .failed(message) }
                        return .conflict(current)
                    } catch {
                        return .failed("\(error)")
                    }
                } ?? .failed("the store did not answer")
                switch outcome {
                case .conflict(let current):
                    // Saved by someone else meanwhile: the user's text and theirs, nothing thrown away.
                    session.conflicted(text, currentText: current.config.text, currentVersion: current.configVersion)
                    edits[name] = session
                    app.state.overlay = .editFailed(queue: name, issues: session.issues.map(\.description))
                case .failed(let failure):
                    session.storeFailed(text, reason: failure)
                    edits[name] = session
                    app.state.overlay = .editFailed(queue: name, issues: ["\(failure)"])
                case .saved:
                    edits[name] = nil
                    editFileOf[name] = nil
                    try? FileManager.default.removeItem(at: file)
                    app.flash(.info, "queue \(name): configuration updated")
                    perform(.refresh)
                }
            case .invalid:
                edits[name] = session
                app.state.overlay = .editFailed(queue: name, issues: session.issuesInFile.map { issue in
                    (issue.line.map { "line \($0): " } ?? "") + issue.description
                })
            case .abandoned:
                edits[name] = nil
                editFileOf[name] = nil
                app.flash(.warning, "queue \(name): edit abandoned, configuration unchanged (your text: \(file.path))")
            }
        } catch {
            edits[name] = session
            app.flash(.error, "editor: \(error)")
        }
    }

    private enum ConfigSaveOutcome: Sendable {
        case saved
        case conflict(Queue)
        case failed(String)
    }

    private func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) -> T? {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let value = try? await body()
            result.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        return result.withLock { $0 }
    }

    private func blockingError(_ body: @escaping @Sendable () async throws -> Void) -> String? {
        blocking {
            do {
                try await body()
                return String?.none
            } catch {
                return "\(error)"
            }
        } ?? nil
    }
}
