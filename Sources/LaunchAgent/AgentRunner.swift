import Foundation
import LaunchAPI
import LaunchModel
import LaunchStore
import Logging

/// The agent loop: polls its queues, keeps at most `maxJobs` items in flight, heartbeats, and drains on request.
/// Each item runs in a task of its own, so a slow build never blocks another item or the heartbeat; the heartbeat,
/// the environment probe and the outbox's deliveries run beside the loop, all in one task group.
public actor AgentRunner {
    let backend: any LaunchBackend
    let configuration: AgentConfiguration
    let targets: [TargetKind: any LaunchTarget]
    let logger: Logger
    private let doorbell = Doorbell()
    private let jobVersions = JobVersionCache()
    private let outbox: AttemptOutbox
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
        outbox = AttemptOutbox(stateDirectory: configuration.stateDirectory, agent: configuration.id, backend: backend, logger: logger)
        status = StatusBoard()
    }

    public static var defaultTargets: [TargetKind: any LaunchTarget] {
        [.localProcess: LocalProcessTarget(), .container: ContainerTarget(), .slurm: SlurmTarget()]
    }

    /// Runs until drained. Call `drain()` (on SIGTERM) to stop.
    public func run() async throws {
        try configuration.runtime.create()
        try await outbox.open()
        environment = await probedEnvironment(configuration.probedEnvironment)
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
        // Reports that agents before this one could not deliver go first.
        await outbox.deliverPending()

        await withDiscardingTaskGroup { group in
            group.addTask { await self.heartbeatLoop() }
            group.addTask { await self.probeLoop() }
            group.addTask { await self.deliveryLoop() }
            while !draining {
                let free = configuration.maxJobs - runs.count
                if free > 0 {
                    do {
                        let sentAt = BootInstant.now
                        let items = try await backend.lease(agent: configuration.id, queues: configuration.queues, max: free,
                                                            leaseFor: configuration.leaseSeconds, waitingUpTo: leaseWait)
                        if draining {
                            // Leased as the drain began: back to the queue, without using an attempt.
                            for item in items { _ = try? await backend.reportState(item.currentAttempt!, to: .queued, exitCode: nil, error: nil) }
                            break
                        }
                        for item in items {
                            let run = start(item, leaseSentAt: sentAt)
                            group.addTask {
                                let leftover = await run.run()
                                await self.finished(item.id, leaving: leftover)
                            }
                        }
                        // A full batch means there may be more: lease again at once. A lease that waits for work
                        // (a server's) has waited already: ask again at once.
                        if !items.isEmpty && items.count == free { continue }
                        if backend.leaseWaitsForWork && items.count < free { continue }
                    } catch {
                        logger.error("lease failed: \(error)")
                        record("lease failed: \(error)")
                    }
                }
                await doorbell.wait(upTo: configuration.pollInterval)
            }
            await finishDrain()
            await deliverBeforeStopping()
            for cleanup in Array(cleanups.values) { await cleanup.value }
            // The loops end at once when cancelled; waited for by the group, none can write after "stopped".
            group.cancelAll()
        }
        try? await backend.updateAgent(id: configuration.id, state: .stopped, environment: nil)
        await outbox.close()
        record("stopped")
        logger.info("agent stopped", metadata: ["id": "\(configuration.id)"])
    }

    /// How long a lease may wait on a server for work. The lease's fence counts from when the request was sent
    /// (the agent cannot know when the server granted it), so an item leased late in the wait starts with that much
    /// less of its fence; a quarter of the lease stays well within the fence's margin (LeaseFence: the fence is at
    /// least half the lease), and the next heartbeat moves the fence on anyway.
    private var leaseWait: Duration {
        backend.leaseWaitsForWork ? min(.seconds(20), .milliseconds(Int(configuration.leaseSeconds * 250))) : .zero
    }

    /// Stops leasing; running items get `drainGrace` to finish, then are stopped and handed back.
    public func drain() async {
        guard !draining else { return }
        draining = true
        record("draining")
        try? await backend.updateAgent(id: configuration.id, state: .draining, environment: nil)
        await doorbell.ring()
    }

    private func start(_ item: LaunchItem, leaseSentAt: BootInstant) -> ItemRun {
        let run = ItemRun(item: item, leaseSentAt: leaseSentAt, backend: backend, configuration: configuration, targets: targets,
                          jobVersions: jobVersions, outbox: outbox, logger: logger)
        runs[item.id] = run
        record("leased \(item.id) (\(item.jobReference), attempt \(item.attempts))")
        return run
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

    /// Undelivered reports get a few more tries before the agent stops; what is left stays in the outbox for the
    /// next agent started on this state directory.
    private func deliverBeforeStopping() async {
        let deadline = ContinuousClock.now + .seconds(10)
        while await !outbox.isEmpty && ContinuousClock.now < deadline {
            await outbox.deliverPending()
            if await outbox.isEmpty { break }
            try? await Task.sleep(for: .milliseconds(500))
        }
        if await !outbox.isEmpty {
            record("stopping with \(await outbox.undelivered.count) report(s) undelivered; they stay in the outbox")
        }
    }

    /// Renews the leases of every attempt in flight, and of those whose report still waits in the outbox (until the
    /// store has it, the item must not go back to its queue). A renewal moves the attempts' fences on from the moment
    /// it was sent (LeaseFence). A heartbeat the store cannot take is simply tried again: each guard stops its job by
    /// its own clock only when the fence comes.
    private func heartbeatLoop() async {
        var lastState: AgentState = .idle
        var failedHeartbeats = 0
        // A cancelled sleep ends the loop: with `try?` it went on to one more beat as the agent stopped.
        while (try? await Task.sleep(for: configuration.heartbeatInterval)) != nil {
            let inFlight = Array(runs.values)
            let attempts = inFlight.map(\.attempt) + (await outbox.undelivered)
            let sentAt = BootInstant.now
            do {
                let reply = try await backend.heartbeat(agent: configuration.id, attempts: attempts, leaseFor: configuration.leaseSeconds,
                                                        status: status.status)
                if reply.stop && !draining {
                    record("asked to stop: draining")
                    await drain()
                }
                let revoked = Set(reply.revoked)
                for run in inFlight {
                    if revoked.contains(run.item.id) {
                        record("stopping \(run.item.id): cancelled or no longer ours")
                        run.stop(.revoked)
                    } else {
                        run.fence.renewed(sentAt: sentAt)
                    }
                }
                let state: AgentState = draining ? .draining : (runs.isEmpty ? .idle : .busy)
                if state != lastState {
                    try await backend.updateAgent(id: configuration.id, state: state, environment: nil)
                    lastState = state
                }
                if failedHeartbeats > 0 {
                    logger.info("heartbeat works again after \(failedHeartbeats) failure(s)")
                    record("heartbeat works again after \(failedHeartbeats) failure(s)")
                    failedHeartbeats = 0
                }
            } catch {
                // Said once, then every 20th time: a store down for a minute would otherwise fill the log.
                if failedHeartbeats % 20 == 0 {
                    logger.warning("heartbeat failed, trying again: \(error)")
                    record("heartbeat failed: \(error)")
                }
                failedHeartbeats += 1
            }
            await publishStatus()
        }
    }

    private func deliveryLoop() async {
        while (try? await Task.sleep(for: .seconds(1))) != nil {
            await outbox.deliverPending()
        }
    }

    private func probeLoop() async {
        // As above: a cancelled sleep ran one more probe (podman, docker, kubectl started as the agent exited) and
        // wrote its state over "stopped".
        while (try? await Task.sleep(for: configuration.probeInterval)) != nil {
            environment = await probedEnvironment(nil)
            try? await backend.updateAgent(id: configuration.id, state: draining ? .draining : (runs.isEmpty ? .idle : .busy),
                                           environment: environment)
            await publishStatus()
        }
    }

    /// The environment as probed, with what this agent cannot serve.
    private func probedEnvironment(_ known: AgentEnvironment?) async -> AgentEnvironment {
        var probed: AgentEnvironment
        if let known { probed = known } else { probed = await EnvironmentProbe.probe(configuration) }
        probed.unservedQueues = configuration.unservedQueues.isEmpty ? nil : configuration.unservedQueues
        return probed
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
