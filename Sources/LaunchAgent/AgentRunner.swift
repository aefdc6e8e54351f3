import Foundation
import LaunchModel
import LaunchStore
import Logging

/// The agent loop: polls its queues, keeps at most `maxJobs` items in flight, heartbeats, and drains on request.
/// Each item runs in its own task, so a slow build never blocks another item or the heartbeat.
public actor AgentRunner {
    let backend: any LaunchBackend
    let configuration: AgentConfiguration
    let targets: [TargetKind: any LaunchTarget]
    let logger: Logger
    private let doorbell = Doorbell()
    private let jobVersions = JobVersionCache()
    private var runs: [String: ItemRun] = [:]
    /// Work directories of succeeded runs being deleted after their slot was freed; waited for before the agent stops.
    private var cleanups: [String: Task<Void, Never>] = [:]
    private var draining = false
    private var environment = AgentEnvironment()
    private var events = RecentEvents(capacity: 50)
    private let status: StatusBoard

    public init(backend: any LaunchBackend, configuration: AgentConfiguration,
                targets: [TargetKind: any LaunchTarget] = AgentRunner.defaultTargets, logger: Logger) {
        self.backend = backend
        self.configuration = configuration
        self.targets = targets
        self.logger = logger
        status = StatusBoard()
    }

    public static var defaultTargets: [TargetKind: any LaunchTarget] {
        [.localProcess: LocalProcessTarget(), .container: ContainerTarget(), .slurm: SlurmTarget()]
    }

    /// Runs until drained. Call `drain()` (on SIGTERM) to stop.
    public func run() async throws {
        try configuration.runtime.create()
        environment = await EnvironmentProbe.probe(configuration)
        let now = Date()
        try await backend.registerAgent(Agent(
            id: configuration.id, name: configuration.name, host: environment.hostname ?? "unknown", queues: configuration.queues,
            maxJobs: configuration.maxJobs, state: .idle, version: configuration.version, startedAt: now, lastHeartbeat: now,
            environment: environment))
        record("started, polling \(configuration.queues.joined(separator: ", ")) with max \(configuration.maxJobs) jobs")
        logger.info("agent started", metadata: ["id": "\(configuration.id)", "queues": "\(configuration.queues.joined(separator: ","))"])

        let wake = try WakeListener(path: configuration.runtime.wakeSocket(agent: configuration.id).path) { [doorbell] in
            Task { await doorbell.ring() }
        }
        let server = try StatusServer(path: configuration.runtime.statusSocket(agent: configuration.id).path, board: status)
        defer {
            wake.close()
            server.close()
        }
        await publishStatus()
        let heartbeat = Task { await heartbeatLoop() }
        let probe = Task { await probeLoop() }
        defer {
            heartbeat.cancel()
            probe.cancel()
        }

        while !draining {
            let free = configuration.maxJobs - runs.count
            if free > 0 {
                do {
                    let items = try await backend.lease(agent: configuration.id, queues: configuration.queues, max: free,
                                                        leaseFor: configuration.leaseSeconds)
                    for item in items { start(item) }
                    // A full batch means there may be more: lease again at once.
                    if !items.isEmpty && items.count == free { continue }
                } catch {
                    logger.error("lease failed: \(error)")
                    record("lease failed: \(error)")
                }
            }
            await doorbell.wait(upTo: configuration.pollInterval)
        }
        await finishDrain()
        for cleanup in Array(cleanups.values) { await cleanup.value }
        heartbeat.cancel()
        probe.cancel()
        // Both end at once when cancelled; waited for, neither can write after the agent is recorded stopped.
        _ = await heartbeat.value
        _ = await probe.value
        try? await backend.updateAgent(id: configuration.id, state: .stopped, environment: nil)
        record("stopped")
        logger.info("agent stopped", metadata: ["id": "\(configuration.id)"])
    }

    /// Stops leasing; running items get `drainGrace` to finish, then are stopped and handed back.
    public func drain() async {
        guard !draining else { return }
        draining = true
        record("draining")
        try? await backend.updateAgent(id: configuration.id, state: .draining, environment: nil)
        await doorbell.ring()
    }

    private func start(_ item: LaunchItem) {
        let run = ItemRun(item: item, backend: backend, configuration: configuration, targets: targets, jobVersions: jobVersions,
                          logger: logger)
        runs[item.id] = run
        record("leased \(item.id) (\(item.jobReference), attempt \(item.attempts))")
        Task {
            let leftover = await run.run()
            await self.finished(item.id, leaving: leftover)
        }
    }

    private func finished(_ id: String, leaving directory: URL?) async {
        if let run = runs.removeValue(forKey: id) {
            record("finished \(id): \(run.state.state)")
        }
        if let directory {
            // The slot is free first: the next item need not wait for a directory tree to be deleted.
            cleanups[id] = Task.detached(priority: .utility) { [weak self] in
                try? FileManager.default.removeItem(at: directory)
                await self?.cleanedUp(id)
            }
        }
        await publishStatus()
        await doorbell.ring()
    }

    private func cleanedUp(_ id: String) {
        cleanups[id] = nil
    }

    private func finishDrain() async {
        let deadline = ContinuousClock.now + configuration.drainGrace
        while !runs.isEmpty && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(100))
        }
        if !runs.isEmpty {
            record("drain grace over: returning \(runs.count) item(s) to their queues")
            for run in runs.values { run.stop(.draining) }
            while !runs.isEmpty { try? await Task.sleep(for: .milliseconds(100)) }
        }
    }

    private func heartbeatLoop() async {
        var lastState: AgentState = .idle
        // A cancelled sleep ends the loop: with `try?` it went on to one more beat as the agent stopped.
        while (try? await Task.sleep(for: configuration.heartbeatInterval)) != nil {
            let ids = Array(runs.keys)
            do {
                let reply = try await backend.heartbeat(agent: configuration.id, items: ids, leaseFor: configuration.leaseSeconds)
                for id in reply.revoked {
                    record("stopping \(id): cancelled or no longer ours")
                    runs[id]?.stop(.revoked)
                }
                let state: AgentState = draining ? .draining : (runs.isEmpty ? .idle : .busy)
                if state != lastState {
                    try await backend.updateAgent(id: configuration.id, state: state, environment: nil)
                    lastState = state
                }
            } catch {
                logger.warning("heartbeat failed: \(error)")
            }
            await publishStatus()
        }
    }

    private func probeLoop() async {
        // As above: a cancelled sleep ran one more probe (podman, docker, kubectl started as the agent exited) and
        // wrote its state over "stopped".
        while (try? await Task.sleep(for: configuration.probeInterval)) != nil {
            environment = await EnvironmentProbe.probe(configuration)
            try? await backend.updateAgent(id: configuration.id, state: draining ? .draining : (runs.isEmpty ? .idle : .busy),
                                           environment: environment)
            await publishStatus()
        }
    }

    private func record(_ message: String) {
        events.append(message)
    }

    /// Refreshes what the status socket serves.
    private func publishStatus() async {
        var items: [AgentStatus.InFlight] = []
        for (id, run) in runs.sorted(by: { $0.key < $1.key }) {
            let progress = await run.sink.lastProgress
            items.append(AgentStatus.InFlight(id: id, queue: run.item.queue, job: run.item.jobReference, state: run.state.state.rawValue,
                                              since: run.state.since, progress: progress, recentLines: await run.sink.recentLines))
        }
        status.publish(AgentStatus(
            id: configuration.id, name: configuration.name, dataDirectory: configuration.data.url.path, queues: configuration.queues,
            maxJobs: configuration.maxJobs, state: draining ? "draining" : (runs.isEmpty ? "idle" : "busy"),
            environment: environment, inFlight: items, events: events.entries, updatedAt: Date()))
    }
}

/// A bounded list of what the agent did lately, for its status socket.
struct RecentEvents {
    let capacity: Int
    private(set) var entries: [AgentStatus.Event] = []

    init(capacity: Int) {
        self.capacity = capacity
    }

    mutating func append(_ message: String) {
        entries.append(AgentStatus.Event(at: Date(), message: message))
        if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
    }
}
