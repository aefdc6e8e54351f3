import ArgumentParser
import DeckTerminal
import DeckUI
import Foundation
import LaunchAPI
import LaunchAgent
import LaunchClient
import LaunchModel
import LaunchStore
import Logging

/// `launchdeck` with no arguments: the live dashboard; `--once` prints one snapshot for scripts.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard", abstract: "Open the live dashboard (the default when no command is given).",
        discussion: "On a fresh data directory it creates a demo job and a `local` queue; whenever no live agent serves `local`, it starts one in the background, which quitting stops unless it has work (then it asks).")

    enum OnceFormat: String, ExpressibleByArgument { case text, json }

    @Flag(help: "Print one snapshot of the views and exit: 0, or 3 when an agent is lost or a queue failed items in the last hour.")
    var once = false
    @Option(name: [.short, .long], help: "With --once: text or json.") var output: OnceFormat = .text
    @Option(help: "The queue selected at start; with --once, the one whose items are listed (default: the first queue as text, every queue as json).")
    var queue: String?
    @Flag(help: "Hide every action that changes anything.") var readOnly = false
    @Option(parsing: .unconditional, help: "Seconds between backend polls.") var refresh: Double = 2
    @Option(help: "Theme name (themes/ or $XDG_CONFIG_HOME/launchdeck/themes).") var theme: String = "default"
    @Flag(help: "Never start an agent for the local queue.") var noAgent = false

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        guard refresh >= 0.1, refresh <= 3600 else {
            throw ValidationFailure([ValidationIssue(path: "--refresh", message: "\(refresh) is outside 0.1..3600 seconds")])
        }
        let context = try await CommandContext.open(connection)
        let source = BackendSource(backend: context.backend, statuses: Self.statuses(of: context))
        let store = StateStore(source: source)
        if once {
            guard let snapshot = await store.poll(force: true), snapshot.error == nil else {
                throw CommandExit(code: 1, message: "backend unreachable: \(await store.snapshot.error ?? "unknown error")")
            }
            if let queue, snapshot.queue(queue) == nil {
                throw ValidationFailure([ValidationIssue(path: "--queue", message: "no queue named \(queue.escapedForMessage)")])
            }
            try OnceOutput.print(snapshot, format: output, queue: queue, context: context.backend.location)
            if snapshot.needsAttention { throw CommandExit(code: 3, message: nil) }
            return
        }

        var welcome: (level: Flash.Level, text: String)?
        // A data directory that cannot be written still shows what is there; actions that would change it are hidden.
        let readOnly = readOnly || context.backend.readOnlyReason != nil
        if let reason = context.backend.readOnlyReason {
            // The title bar shows the path; left out here, the cause fits an 80-column flash line.
            let cause = reason.replacingOccurrences(of: " \(context.backend.location)", with: "")
            welcome = (.warning, "\(cause): showing what is there; changes are off.")
        } else if context.remote == nil, try await context.backend.queues().isEmpty, try await context.backend.jobs().isEmpty {
            _ = try await DemoSetup.create(context)
            welcome = (.info, "Fresh data directory: created job demo-train, queue local and an agent for it. ? for help.")
        }
        // A team's server has agents of its own; a dashboard of it starts none on this machine.
        let ownAgent = noAgent || readOnly || context.remote != nil ? nil : try await localAgent(context, welcome: &welcome)

        let catalog = ThemeCatalog.standard()
        let loaded = catalog.load(theme)
        let driver = try TerminalDriver(theme: loaded.theme, noColor: ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false)
        var state = DeckState(readOnly: readOnly)
        state.themeName = theme
        state.ownAgent = ownAgent?.id
        if let queue { state.selection[.queues] = queue }
        let app = DeckApp(state: state)
        app.themeNames = catalog.names
        app.context = context.backend.location
        if let problem = loaded.problem { app.flashLater(.error, problem) }
        if let welcome { app.flashLater(welcome.level, welcome.text) }
        let session = DeckSession(app: app, store: store, backend: context.backend, refresh: .milliseconds(Int(refresh * 1000)),
                                  requestedReadOnly: self.readOnly, wake: driver.wake)
        // `:backend NAME`: the profiles of config.yaml, and this machine's store. A config that cannot be read leaves
        // switching off rather than stopping the dashboard; the command line already said what is wrong with it.
        if let profiles = try? ClientProfiles.load(environment: ProcessInfo.processInfo.environment) {
            app.backendNames = [Self.embeddedName] + profiles.profiles.keys.sorted().filter { $0 != Self.embeddedName }
            // A profile's own token file only: LAUNCHDECK_TOKEN was meant for the backend the dashboard started on,
            // and must not be sent to another server.
            var environment = ProcessInfo.processInfo.environment
            environment["LAUNCHDECK_TOKEN"] = nil
            session.connect = { [environment] name in
                let selection = name == Self.embeddedName ? BackendSelection.embedded
                    : try BackendSelection.resolve(backend: nil, profile: name, environment: environment)
                let context = try await CommandContext.open(selection)
                return BackendConnection(backend: context.backend, statuses: Self.statuses(of: context))
            }
        }
        let runtime = RuntimeDirectory.resolve(for: context.directory)
        session.makeEditFile = { name in try runtime.privateFile(prefix: "queue-\(name)", extension: "yaml") }
        session.onTheme = { name in
            // A theme that cannot be used leaves the one on screen; only at start does a fallback stand in.
            let next = catalog.load(name)
            if next.problem == nil { driver.setTheme(next.theme) }
            return next.problem.map { "\($0); keeping the current theme" }
        }
        do {
            try driver.run(session: session) { file in try EditorCommand.fromEnvironment().edit(file) }
        } catch let error as TerminalError {
            throw CommandExit(code: 1, message: error.description)
        }
        if let ownAgent { try await settle(ownAgent, choice: session.quitChoice ?? .stopIfIdle, backend: context.backend) }
    }

    /// The name `:backend` gives this machine's own store.
    static let embeddedName = "embedded"

    /// Live agent statuses: from the agents' sockets on this machine, or from the server, which has them from the
    /// agents' heartbeats wherever they run.
    static func statuses(of context: CommandContext) -> any AgentStatusSource {
        context.remote.map { RemoteAgentStatuses(backend: $0) } ?? LocalAgentStatuses(runtime: RuntimeDirectory.resolve(for: context.directory))
    }

    /// The agent this dashboard uses for the `local` queue: the live one of this host's dashboards if it runs (an
    /// earlier dashboard left it working), else one started now in the background, on every launch that needs it.
    /// A stopped or lost agent never counts as serving. It runs apart from the dashboard, so quitting can leave its
    /// work running.
    private func localAgent(_ context: CommandContext, welcome: inout (level: Flash.Level, text: String)?) async throws -> (id: String, name: String)? {
        guard (try? await context.backend.queue(named: DemoSetup.queueName)) != nil else { return nil }
        let name = "dashboard-" + Names.agentName(fromHost: ProcessInfo.processInfo.hostName)
        let agents = try await context.backend.agents()
        if let mine = agents.first(where: { $0.name == name && $0.isLive && $0.state != .draining }) { return (mine.id, mine.name) }
        if agents.contains(where: { ($0.state == .idle || $0.state == .busy) && $0.queues.contains(DemoSetup.queueName) }) { return nil }
        // Without the guard every item would fail at once; say so instead of failing the local queue's items.
        let guardPath = AgentRun.guardPath()
        guard FileManager.default.isExecutableFile(atPath: guardPath) else {
            welcome = (.warning, "No local agent: launchdeck-guard not found at \(guardPath); install it beside launchdeck.")
            return nil
        }
        let id = ItemID.make()
        // Not waited for: it registers once it has probed its machine, and the dashboard knows it by its id already.
        _ = try BackgroundAgent.start(arguments: ["--queue", DemoSetup.queueName, "--max-jobs", "2", "--name", name, "--drain-seconds", "0"],
                                      name: name, id: id, data: context.directory)
        return (id, name)
    }

    /// Carries out how the user quit: the agent keeps its work running, or drains; one with nothing in flight stops.
    private func settle(_ agent: (id: String, name: String), choice: QuitChoice, backend: any LaunchBackend) async throws {
        let inFlight = try await backend.items(ItemFilter(states: [.leased, .building, .running], agentID: agent.id)).count
        let stop = switch choice {
        case .keepRunning: false
        case .stop: true
        case .stopIfIdle: inFlight == 0
        }
        if stop {
            // An agent started a moment ago may not have registered yet: it is asked once it has.
            for _ in 0..<20 {
                do {
                    _ = try await backend.requestAgentStop(agent.id)
                    break
                } catch LaunchError.notFound {
                    try await Task.sleep(for: .milliseconds(500))
                } catch {
                    break
                }
            }
            if inFlight > 0 { print("agent \(agent.name) is stopping; its \(inFlight) item(s) go back to their queue") }
        } else if inFlight > 0 {
            print("agent \(agent.name) keeps running \(inFlight) item(s) in the background; stop it with: launchdeck agent stop \(agent.name)")
        }
    }
}

/// `launchdeck --once`: the main screen's panes as text (`OnceReport`), or the same records as JSON.
enum OnceOutput {
    static func print(_ snapshot: DeckSnapshot, format: DashboardCommand.OnceFormat, queue: String?, context: String) throws {
        switch format {
        case .json:
            struct Report: Encodable {
                /// Which backend this is: the data directory, or the server's URL.
                var backend: String
                var updatedAt: Date?
                var queues: [QueueRecord]
                var items: [ItemRecord]
                var agents: [AgentRecord]
                var needsAttention: Bool
                var attention: Attention
                enum CodingKeys: String, CodingKey {
                    case backend, updatedAt = "updated_at", queues, items, agents, needsAttention = "needs_attention", attention
                }
            }
            let lists = queue.map { [snapshot.items[$0] ?? ItemList()] } ?? Array(snapshot.items.values)
            let items = lists.flatMap { $0 }.sorted { $0.timestamps.enqueued < $1.timestamps.enqueued }
            Swift.print(try JSONOutput.encode(Report(backend: context, updatedAt: snapshot.updatedAt,
                                                     queues: snapshot.queues.map { QueueRecord($0.queue, depth: $0.depth) },
                                                     items: items.map { ItemRecord($0) }, agents: snapshot.agents.map(AgentRecord.init),
                                                     needsAttention: snapshot.needsAttention, attention: Attention(snapshot))))
        case .text:
            let width = Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 140
            Swift.print(OnceReport.render(snapshot, width: width, queue: queue, context: context).plainText)
        }
    }
}
