import ArgumentParser
import Dispatch
import DeckUI
import Foundation
import LaunchAPI
import LaunchAgent
import LaunchModel
import LaunchStore
import Logging

struct AgentRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run an agent that polls queues and runs their items.",
        discussion: "SIGTERM or Ctrl-C drains: no new items, running ones finish within --drain-seconds, the rest go back to their queues.")

    // Numbers are parsed `.unconditional`ly here and in the other commands: `--poll-interval -1` then gets the range
    // check's message, not "missing value" (a leading dash otherwise reads as the next option).
    @Option(help: "Queue to poll (repeatable).") var queue: [String] = []
    @Option(parsing: .unconditional, help: "Items run at once.") var maxJobs: Int = 1
    @Option(help: "Agent name shown in listings (default: host name).") var name: String?
    @Option(parsing: .unconditional, help: "Seconds between polls while queues are empty.") var pollInterval: Double = 1
    @Option(parsing: .unconditional, help: "Seconds a lease lasts without a heartbeat.") var leaseSeconds: Double = 30
    @Option(parsing: .unconditional, help: "Seconds between heartbeats (at most 10: agents silent for 30 s show as lost).") var heartbeatSeconds: Double = 2
    @Option(parsing: .unconditional, help: "Seconds running items get to finish on drain.") var drainSeconds: Double = 30
    @Option(help: ArgumentHelp("Directory for item work directories and virtualenvs (default: the data directory).",
                               discussion: "Slurm queues need one their compute nodes share.")) var workDir: String?
    @Option(help: ArgumentHelp("Run local-process jobs as this Unix user (the agent must run as root).",
                               discussion: "Jobs then cannot read the store, other queues' secrets or other jobs' environments.")) var runAs: String?
    @Flag(help: "Let git jobs clone local paths and file:// URLs (any repository this agent's user can read).") var allowLocalGit = false
    @Flag(help: "Start in the background and return; output goes to the agent's log file.") var detach = false
    /// Set by --detach for the agent it starts, so the log file it names carries the agent's own id.
    @Option(help: .hidden) var agentID: String?

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let context = try await CommandContext.open(connection)
        let data = context.directory
        let backend = context.backend
        if let agentID, !ItemID.isValid(agentID) {
            throw ValidationFailure([ValidationIssue(path: "--agent-id", message: "\(agentID.escapedForMessage) is not an id")])
        }
        var configuration = AgentConfiguration(
            id: agentID ?? ItemID.make(), name: name ?? Names.agentName(fromHost: ProcessInfo.processInfo.hostName), queues: queue, maxJobs: maxJobs, data: data,
            runtime: RuntimeDirectory.resolve(for: data), guardPath: Self.guardPath(), version: Launchdeck.version)
        // Checked before they become Durations: `nan`, `inf` and 1e300 parse as Doubles and would trap there.
        var issues: [ValidationIssue] = []
        configuration.pollInterval = Self.seconds(pollInterval, "--poll-interval", 0.01...3600, into: &issues)
        configuration.heartbeatInterval = Self.seconds(heartbeatSeconds, "--heartbeat-seconds", 0.01...(Agent.lostAfterSeconds / 3), into: &issues)
        configuration.drainGrace = Self.seconds(drainSeconds, "--drain-seconds", 0...86_400, into: &issues)
        _ = Self.seconds(leaseSeconds, "--lease-seconds", 2...86_400, into: &issues)
        configuration.leaseSeconds = leaseSeconds
        if issues.isEmpty && heartbeatSeconds * 2 >= leaseSeconds {
            issues.append(ValidationIssue(path: "--heartbeat-seconds", message: "must be under half of --lease-seconds (\(leaseSeconds))"))
        }
        if !issues.isEmpty { throw ValidationFailure(issues) }
        try configuration.validate()
        if let reason = backend.readOnlyReason {
            throw CommandExit(code: 1, message: "\(reason): an agent records every item it runs, so it cannot start")
        }
        configuration.allowLocalGit = allowLocalGit
        if let runAs {
            do {
                configuration.runAs = try JobIdentity.resolve(runAs)
            } catch {
                throw ValidationFailure([ValidationIssue(path: "--run-as", message: "\(error)")])
            }
            if geteuid() != 0 && configuration.runAs?.uid != geteuid() {
                throw ValidationFailure([ValidationIssue(path: "--run-as", message: "running jobs as \(runAs) needs an agent running as root")])
            }
        }
        if let workDir { configuration.workArea = URL(fileURLWithPath: workDir, isDirectory: true).standardizedFileURL }
        try Self.prepareWorkArea(configuration, given: workDir != nil)
        try await Self.refuseTwin(of: configuration, in: backend)
        try await Self.decideQueues(&configuration, backend: backend)
        guard FileManager.default.isExecutableFile(atPath: configuration.guardPath) else {
            throw CommandExit(code: 1, message: "launchdeck-guard not found at \(configuration.guardPath): every job runs under it; put it beside launchdeck (`swift build` builds both) or name it with LAUNCHDECK_GUARD")
        }
        if detach { return try detachSelf(data: data, id: configuration.id) }

        var logger = Logger(label: "launchdeck.agent")
        logger.logLevel = .info
        let runner = AgentRunner(backend: backend, configuration: configuration, logger: logger)
        print("agent \(configuration.id) (\(configuration.name)) polling \(configuration.queues.joined(separator: ", "))")
        let signals = [SIGTERM, SIGINT].map { signalNumber -> DispatchSourceSignal in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber)
            source.setEventHandler { Task { await runner.drain() } }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        try await runner.run()
    }

    /// The work area and its two roots, made private: 0700, or 0711 when jobs run as another user, who may then pass
    /// through to the directories given to it but list nothing. That user must be able to reach it at all.
    static func prepareWorkArea(_ configuration: AgentConfiguration, given: Bool) throws {
        let option = given ? "--work-dir" : "the work area"
        let mode: mode_t = configuration.runAs == nil ? 0o700 : 0o711
        do {
            for directory in [configuration.workArea, configuration.workArea.appendingPathComponent("work"),
                              configuration.workArea.appendingPathComponent("venvs")] {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try PrivateFiles.secureDirectory(directory, what: "work directory", mode: mode)
            }
        } catch let error as LaunchError {
            throw ValidationFailure([ValidationIssue(path: option, message: error.description)])
        } catch {
            throw ValidationFailure([ValidationIssue(path: option, message: "cannot create \(configuration.workArea.path): \(error.localizedDescription)")])
        }
        guard let user = configuration.runAs, user.uid != geteuid() else { return }
        var ancestor = configuration.workArea.deletingLastPathComponent()
        while ancestor.path != "/" {
            var info = stat()
            if stat(ancestor.path, &info) == 0, info.st_mode & 0o001 == 0, info.st_uid != user.uid,
               !(info.st_mode & 0o010 != 0 && user.groups.contains(info.st_gid)) {
                throw ValidationFailure([ValidationIssue(path: "--run-as", message: "user \(user.name) cannot reach the work area \(configuration.workArea.path) (\(ancestor.path) is closed to it); choose one it can with --work-dir")])
            }
            ancestor = ancestor.deletingLastPathComponent()
        }
    }

    /// Agent names are unique among live agents: `agent describe NAME` and `agent stop NAME` must mean one agent.
    static func refuseTwin(of configuration: AgentConfiguration, in backend: any LaunchBackend) async throws {
        let now = Date()
        let twin = try await backend.agents().first { agent in
            agent.name == configuration.name && agent.id != configuration.id
                && [.idle, .busy, .draining].contains(agent.effectiveState(now: now, lostAfter: Agent.lostAfterSeconds))
        }
        if let twin {
            throw ValidationFailure([ValidationIssue(path: "--name", message: "an agent named \(twin.name) is already running (\(twin.id) on \(twin.host)); choose another --name, or stop it with launchdeck agent stop \(twin.name)")])
        }
    }

    /// Serves only the queues it can run here (leasing the others would fail their items, each at once): refuses to
    /// start when it can serve none, else says which it leaves and records why in its environment.
    static func decideQueues(_ configuration: inout AgentConfiguration, backend: any LaunchBackend) async throws {
        var environment = await EnvironmentProbe.probe(configuration)
        var unserved: [String: String] = [:]
        for name in configuration.queues {
            if let problem = QueueCapability.problem(try await backend.queue(named: name), environment: environment) { unserved[name] = problem }
        }
        // A container engine busy with other work (a build, many agents starting at once) can take longer than
        // the first probe allows: ask once more, patiently, before giving up a queue for it.
        if !unserved.isEmpty {
            environment = await EnvironmentProbe.probe(configuration, engineTimeout: .seconds(45))
            unserved = [:]
            for name in configuration.queues {
                if let problem = QueueCapability.problem(try await backend.queue(named: name), environment: environment) { unserved[name] = problem }
            }
        }
        if unserved.count == configuration.queues.count {
            throw ValidationFailure(configuration.queues.map { ValidationIssue(path: "--queue", message: "cannot serve \($0): \(unserved[$0]!)") })
        }
        for name in configuration.queues where unserved[name] != nil {
            printError("launchdeck: not serving \(name): \(unserved[name]!)")
        }
        configuration.queues = configuration.queues.filter { unserved[$0] == nil }
        configuration.unservedQueues = unserved
        configuration.probedEnvironment = environment
    }

    /// A number of seconds from the command line as a Duration, or an issue when it is outside `range` (or NaN).
    static func seconds(_ value: Double, _ option: String, _ range: ClosedRange<Double>, into issues: inout [ValidationIssue]) -> Duration {
        guard range.contains(value) else {
            issues.append(ValidationIssue(path: option, message: "\(value) is outside \(String(format: "%g", range.lowerBound))..\(String(format: "%g", range.upperBound)) seconds"))
            return .zero
        }
        return .milliseconds(Int((value * 1000).rounded()))
    }

    /// Runs this same command again without --detach, in a new session, with output to a log file.
    private func detachSelf(data: DataDirectory, id: String) throws {
        let arguments = CommandLine.arguments.dropFirst().drop { $0 == "agent" || $0 == "run" }.filter { $0 != "--detach" }
        let started = try BackgroundAgent.start(arguments: Array(arguments), name: name ?? Names.agentName(fromHost: ProcessInfo.processInfo.hostName),
                                                id: id, data: data)
        print("agent started in the background (pid \(started.pid)); log: \(started.logFile.path)")
    }

    /// `launchdeck-guard` is built beside this executable; `LAUNCHDECK_GUARD` overrides it.
    static func guardPath() -> String {
        if let path = ProcessInfo.processInfo.environment["LAUNCHDECK_GUARD"] { return path }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return executable.deletingLastPathComponent().appendingPathComponent("launchdeck-guard").path
    }
}

struct AgentStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Live status of the agents running on this machine.")
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let runtime = RuntimeDirectory.resolve(for: DataDirectory.resolve())
        var statuses: [AgentStatus] = []
        for socket in runtime.sockets(suffix: ".status") {
            if let status = try? StatusClient.read(socket.path) { statuses.append(status) }
        }
        try output.emit(json: statuses) {
            if statuses.isEmpty { return "no agent is running on this machine for this data directory\n" }
            var text = ""
            for status in statuses {
                text += "Agent \(status.name) (\(status.id)): \(status.state), \(status.inFlight.count)/\(status.maxJobs) in flight, queues \(status.queues.joined(separator: ", "))\n"
                for item in status.inFlight {
                    let progress = item.progress.map { p in
                        " \(p.phase) \(Durations.number(p.current))\(p.total.map { "/" + Durations.number($0) } ?? "") \(p.message)"
                    } ?? ""
                    text += "  \(item.id)  \(item.job)  \(item.state) for \(Durations.age(item.since))\(progress)\n"
                }
                for event in status.events.suffix(5) {
                    text += "  \(LocalTime.format(event.at))  \(event.message)\n"
                }
            }
            return text.split(separator: "\n").map { TerminalTextSafety.inert(String($0)) }.joined(separator: "\n") + "\n"
        }
    }
}
