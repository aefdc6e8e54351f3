import ArgumentParser
import DeckTerminal
import DeckUI
import Foundation
import LaunchAgent
import LaunchModel
import LaunchStore
import Logging

/// `launchdeck` with no arguments: the live dashboard; `--once` prints one snapshot for scripts.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard", abstract: "Open the live dashboard (the default when no command is given).",
        discussion: "On a fresh data directory it creates a demo job, a `local` queue and runs a local agent inside the dashboard.")

    enum OnceFormat: String, ExpressibleByArgument { case text, json }

    @Flag(help: "Print one snapshot of the views and exit: 0, or 3 when an agent is lost or a queue failed items in the last hour.")
    var once = false
    @Option(help: "With --once: text or json.") var output: OnceFormat = .text
    @Flag(help: "Hide every action that changes anything.") var readOnly = false
    @Option(parsing: .unconditional, help: "Seconds between backend polls.") var refresh: Double = 2
    @Option(help: "Theme name (themes/ or $XDG_CONFIG_HOME/launchdeck/themes).") var theme: String = "default"
    @Flag(help: "Never run the demo queue's agent inside the dashboard.") var noAgent = false

    func run() async throws {
        guard refresh >= 0.1, refresh <= 3600 else {
            throw ValidationFailure([ValidationIssue(path: "--refresh", message: "\(refresh) is outside 0.1..3600 seconds")])
        }
        let context = try CommandContext.open()
        let source = BackendSource(backend: context.backend, runtime: RuntimeDirectory.resolve(for: context.directory))
        let store = StateStore(source: source)
        if once {
            guard let snapshot = await store.poll(force: true), snapshot.error == nil else {
                throw CommandExit(code: 1, message: "backend unreachable: \(await store.snapshot.error ?? "unknown error")")
            }
            try OnceReport.print(snapshot, format: output)
            if snapshot.needsAttention { throw CommandExit(code: 3, message: nil) }
            return
        }

        var embeddedAgent: (runner: AgentRunner, task: Task<Void, Never>)?
        var welcome: (level: Flash.Level, text: String)?
        // A data directory that cannot be written still shows what is there; actions that would change it are hidden.
        let readOnly = readOnly || context.backend.readOnlyReason != nil
        if let reason = context.backend.readOnlyReason {
            // The title bar shows the path; left out here, the cause fits an 80-column flash line.
            let cause = reason.replacingOccurrences(of: " \(context.directory.url.path)", with: "")
            welcome = (.warning, "\(cause): showing what is there; changes are off.")
        } else if try await context.backend.queues().isEmpty, try await context.backend.jobs().isEmpty {
            _ = try await DemoSetup.create(context)
            welcome = (.info, "Fresh data directory: created job demo-train, queue local, and a local agent in this dashboard. ? for help.")
        }
        // The demo queue always has someone to run it while the dashboard is open, unless a live agent already does.
        let demoQueue = try? await context.backend.queue(named: DemoSetup.queueName)
        let served = try await context.backend.agents().contains { $0.queues.contains(DemoSetup.queueName) && $0.state != .lost }
        let demoJob = try? await context.backend.resolveJob(JobReference(name: "demo-train", version: nil))
        if !noAgent && !readOnly && demoQueue != nil && !served && demoJob != nil {
            // Without the guard every item would fail at once; say so instead of failing the demo's items.
            let guardPath = AgentRun.guardPath()
            if FileManager.default.isExecutableFile(atPath: guardPath) {
                embeddedAgent = try startEmbeddedAgent(context)
            } else {
                welcome = (.warning, "No local agent: launchdeck-guard not found at \(guardPath); install it beside launchdeck.")
            }
        }

        let catalog = ThemeCatalog.standard()
        let loaded = catalog.load(theme)
        let driver = try TerminalDriver(theme: loaded.theme, noColor: ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false)
        var state = DeckState(readOnly: readOnly)
        state.themeName = theme
        let app = DeckApp(state: state)
        app.themeNames = catalog.names
        app.context = context.directory.url.path
        if let problem = loaded.problem { app.flashLater(.error, problem) }
        if let welcome { app.flashLater(welcome.level, welcome.text) }
        let session = DeckSession(app: app, store: store, backend: context.backend, refresh: .milliseconds(Int(refresh * 1000)), wake: driver.wake)
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
        if let agent = embeddedAgent {
            await agent.runner.drain()
            _ = await agent.task.value
        }
    }

    /// The demo's agent runs inside the dashboard and stops with it (its items go back to the queue).
    private func startEmbeddedAgent(_ context: CommandContext) throws -> (AgentRunner, Task<Void, Never>) {
        var configuration = AgentConfiguration(
            name: "dashboard-\(ProcessInfo.processInfo.hostName)", queues: [DemoSetup.queueName], maxJobs: 2, data: context.directory,
            runtime: RuntimeDirectory.resolve(for: context.directory), guardPath: AgentRun.guardPath(), version: Launchdeck.version)
        configuration.drainGrace = .seconds(0)
        // The dashboard owns the terminal: the embedded agent must not log to it.
        let logger = Logger(label: "launchdeck.agent.embedded") { _ in SwiftLogNoOpLogHandler() }
        let runner = AgentRunner(backend: context.backend, configuration: configuration, logger: logger)
        let task = Task<Void, Never> { try? await runner.run() }
        return (runner, task)
    }
}

/// `launchdeck --once`: the same views as text (the main screen rendered once), or JSON.
enum OnceReport {
    static func print(_ snapshot: DeckSnapshot, format: DashboardCommand.OnceFormat) throws {
        switch format {
        case .json:
            struct Report: Encodable {
                var updatedAt: Date?
                var queues: [QueueRecord]
                var items: [ItemRecord]
                var agents: [AgentRecord]
                var needsAttention: Bool
                enum CodingKeys: String, CodingKey {
                    case updatedAt = "updated_at", queues, items, agents, needsAttention = "needs_attention"
                }
            }
            let items = snapshot.items.values.flatMap { $0 }.sorted { $0.timestamps.enqueued < $1.timestamps.enqueued }
            Swift.print(try JSONOutput.encode(Report(updatedAt: snapshot.updatedAt,
                                                     queues: snapshot.queues.map { QueueRecord($0.queue, depth: $0.depth) },
                                                     items: items.map { ItemRecord($0) }, agents: snapshot.agents.map(AgentRecord.init),
                                                     needsAttention: snapshot.needsAttention)))
        case .text:
            let app = DeckApp()
            app.receive(snapshot)
            let width = Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 140
            let rows = snapshot.queues.count + snapshot.agents.count + (snapshot.items[app.state.selectedQueue ?? ""]?.count ?? 0)
            let height = max(DeckApp.minimumHeight, min(400, rows + 14))
            Swift.print(app.render(width: max(DeckApp.minimumWidth, width), height: height).plainText)
        }
    }
}
