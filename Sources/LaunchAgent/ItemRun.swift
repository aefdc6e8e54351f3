import Foundation
import LaunchAPI
import LaunchModel
import LaunchStore
import Logging
import Synchronization

/// One leased attempt from start to end: prepare, run under the guard, stream, report.
final class ItemRun: Sendable {
    enum StopReason: Sendable {
        /// Cancelled by a user or reassigned: the backend already has its final word.
        case revoked
        /// The agent drains: hand the item back to its queue.
        case draining
        /// The lease could not be renewed in time (the store did not answer): the job was stopped before the lease
        /// could run out, and the item goes back to its queue without using up an attempt.
        case fenced
    }

    let item: LaunchItem
    let attempt: ItemAttempt
    let fence: LeaseFence
    let backend: any LaunchBackend
    let configuration: AgentConfiguration
    let targets: [TargetKind: any LaunchTarget]
    let jobVersions: JobVersionCache
    let outbox: AttemptOutbox
    let logger: Logger
    let handle = ProcessGroupHandle()
    private let stopReason = Mutex<StopReason?>(nil)
    /// Set once the run's context is known, so a stop can also reach the target (a container is stopped by name).
    private let cancellation = Mutex<(target: any LaunchTarget, context: RunContext)?>(nil)
    private let phase = Mutex<(state: ItemState, since: Date)>((.leased, Date()))
    let sink: LogSink

    /// `leaseSentAt`: when the agent sent the lease request, from which the fence is counted (LeaseFence).
    init(item: LaunchItem, leaseSentAt: BootInstant, backend: any LaunchBackend, configuration: AgentConfiguration,
         targets: [TargetKind: any LaunchTarget], jobVersions: JobVersionCache, outbox: AttemptOutbox, logger: Logger) {
        self.item = item
        attempt = ItemAttempt(item: item.id, agent: configuration.id, number: item.attempts)
        fence = LeaseFence(timing: configuration.fenceTiming, leaseSentAt: leaseSentAt)
        self.backend = backend
        self.configuration = configuration
        self.targets = targets
        self.jobVersions = jobVersions
        self.outbox = outbox
        self.logger = logger
        sink = LogSink(backend: backend, attempt: attempt, redactor: SecretValueRedactor.agentEnvironment)
    }

    var state: (state: ItemState, since: Date) { phase.withLock { $0 } }

    func stop(_ reason: StopReason) {
        let first = stopReason.withLock { current -> Bool in
            guard current == nil else { return false }
            current = reason
            return true
        }
        handle.stop()
        if first, let (target, context) = cancellation.withLock({ $0 }) {
            Task { await target.cancel(context) }
        }
    }

    private var stoppedFor: StopReason? { stopReason.withLock { $0 } }

    private func markFenced() {
        stopReason.withLock { reason in reason = reason ?? .fenced }
    }

    /// Runs to the end; never throws: every failure becomes the item's final state. Returns the work directory of a
    /// run that succeeded, for the agent to delete once the item's slot is free. The attempt's report may still be
    /// on its way then (the outbox delivers it).
    func run() async -> URL? {
        // Fencing needs no watch of the agent's own: every process of the attempt runs under a guard that keeps the
        // fence's time itself, a guard told "go" past its fence starts nothing, and the moves the agent reports retry
        // only until the fence. The agent learns of a fence from the guard, or by checking it where a run ends.
        await runAttempt(slot: await outbox.reserve(attempt))
    }

    private func runAttempt(slot: OutboxSlot?) async -> URL? {
        let context: RunContext
        do {
            context = try await makeContext()
        } catch {
            await end(.failed, exitCode: nil, error: "cannot start: \(error)", slot: slot)
            return nil
        }
        await sink.hide(context.secretValues)
        guard let target = targets[context.queue.target] else {
            await end(.failed, exitCode: nil, error: "this agent cannot run \(context.queue.target) queues yet", slot: slot)
            return nil
        }
        cancellation.withLock { $0 = (target, context) }
        let runner = GuardedProcess(guardPath: configuration.guardPath, fence: fence, stepHandle: handle, identity: context.jobIdentity,
                                    umask: configuration.jobUmask,
                                    preparationDeadline: BootInstant.now.adding(seconds: Double(context.prepareTimeout.components.seconds)))
        let reporter = Reporter(run: self)
        for name in context.hyperparametersWithheldFromArgv {
            await sink.append(.agent, "\(name) is secret: not on the command line; the job gets it in LAUNCHDECK_CONFIG, launchdeck-config.json"
                                + (RunContext.environmentName(forHyperparameter: name).map { " and $\($0)" } ?? ""))
        }
        do {
            if item.attempts > 1 { await target.cleanUpEarlierAttempt(context) }
            let spec: ProcessSpec
            do {
                spec = try await target.prepare(context, reporter: reporter, runner: runner)
            } catch is PreparationTimeout {
                throw RunError.prepare("preparation timed out after \(context.prepareTimeoutText) (resource.prepare_timeout)")
            }
            if stoppedFor != nil {
                await endStopped(slot: slot)
                return nil
            }
            // The build's last progress stays until the job reports its own. The guard starts while the item is
            // recorded as running; the job itself only once that is stored.
            let outcome: Outcome
            do {
                outcome = try await runWithTimeout(spec, context: context, target: target, runner: runner) { try await reporter.enter(.running) }
                await target.afterRun(context)
            } catch {
                await target.afterRun(context)
                throw error
            }
            await sink.flush()
            if case .exited(let exit) = outcome {
                if exit.fenced { markFenced() }
                if exit.leftovers > 0 {
                    await sink.append(.agent, "the job left \(exit.leftovers) process\(exit.leftovers == 1 ? "" : "es") running when it ended; they were stopped")
                }
            }
            if stoppedFor != nil {
                await endStopped(slot: slot)
                return nil
            }
            switch outcome {
            case .exited(let exit) where exit.status == 0:
                await end(.succeeded, exitCode: 0, error: nil, slot: slot)
                return context.workDirectory
            case .exited(let exit):
                let code = exit.status
                await end(.failed, exitCode: Int(code), error: "exit status \(code)" + (code > 128 ? " (signal \(code - 128))" : ""), slot: slot)
            case .timedOut(let limit):
                await end(.failed, exitCode: nil, error: "timed out after \(limit) (resource.timeout)", slot: slot)
            }
        } catch {
            await sink.flush()
            // The guard may have stopped a step at the fence a moment before this agent's own watch saw it pass.
            if fence.hasPassed { markFenced() }
            if stoppedFor != nil {
                await endStopped(slot: slot)
                return nil
            }
            await sink.append(.agent, "error: \(error)")
            await end(.failed, exitCode: nil, error: "\(error)", slot: slot)
        }
        // A failed run's directory stays, to look into (its secrets are removed: LaunchTarget.afterRun).
        return nil
    }

    private enum Outcome {
        case exited(GuardedExit)
        case timedOut(String)
    }

    private func runWithTimeout(_ spec: ProcessSpec, context: RunContext, target: any LaunchTarget, runner: GuardedProcess,
                                startWhen gate: @escaping @Sendable () async throws -> Void) async throws -> Outcome {
        let sink = self.sink
        let progressFile = spec.environment["LAUNCHDECK_PROGRESS_FILE"]
        let watcher = Task { await Self.watchProgressFile(progressFile, sink: sink) }
        defer { watcher.cancel() }
        let timer: Task<Bool, Never>? = context.timeout.map { limit in
            Task { [handle] in
                guard (try? await Task.sleep(for: limit)) != nil else { return false }
                handle.stop()
                return true
            }
        }
        let exit = try await runner.run(spec, handle: handle, stopCommand: target.stopCommand(context), startWhen: gate) { stream, line in
            if stream == .stdout, let progress = ProgressLine.job(line) {
                await sink.report(phase: "run", current: progress.current, total: progress.total, message: progress.message)
            } else {
                if let progress = target.progress(in: line, stream: stream) {
                    await sink.report(phase: progress.phase, current: 0, total: nil, message: progress.message)
                }
                await sink.append(stream, line)
            }
        }
        timer?.cancel()
        if let timer, await timer.value, let limit = context.resource["timeout"]?.stringValue {
            return .timedOut(limit)
        }
        return .exited(exit)
    }

    /// Jobs may write `45/100 message` (or a `launchdeck:progress` line) to `LAUNCHDECK_PROGRESS_FILE`; the last line counts.
    private static func watchProgressFile(_ path: String?, sink: LogSink) async {
        guard let path else { return }
        var last = ""
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(500))
            guard let data = readProgressFile(path),
                  let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init), line != last else { continue }
            last = line
            let text = line.hasPrefix(ProgressLine.prefix) ? line : ProgressLine.prefix + line
            if let progress = ProgressLine.job(text) {
                await sink.report(phase: "run", current: progress.current, total: progress.total, message: progress.message)
            }
        }
    }

    /// The job names the progress file's place by its code: a link to a FIFO would block this read, one to
    /// /dev/zero never end it. Only a regular file is read, without following a link, and only its last 64 KiB.
    static func readProgressFile(_ path: String) -> Data? {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        let size = UInt64(max(0, info.st_size))
        try? handle.seek(toOffset: size > 65_536 ? size - 65_536 : 0)
        return try? handle.read(upToCount: 65_536)
    }

    private func endStopped(slot: OutboxSlot?) async {
        await sink.flush()
        switch stoppedFor {
        case .draining?:
            await end(.queued, exitCode: nil, error: nil, slot: slot)
            logger.info("returned to its queue on drain", metadata: ["item": "\(item.id)"])
        case .fenced?:
            let waited = Int(fence.timing.leaseSeconds - fence.timing.margin)
            await sink.append(.agent, "stopped: the lease could not be renewed for \(waited) s (the store did not answer), so the job was ended before the lease could run out; the item goes back to its queue")
            await sink.flush()
            await end(.queued, exitCode: nil, error: nil, slot: slot)
            logger.warning("stopped: lease not renewed in time; handed back", metadata: ["item": "\(item.id)"])
        default:
            await outbox.release(slot)
            logger.info("stopped: no longer leased by this agent", metadata: ["item": "\(item.id)"])
        }
    }

    /// Tells the store how the attempt ended, through the outbox: kept there until the store has it, so a store that
    /// cannot be written now (a full disk, a long lock) delays the report instead of losing it.
    private func end(_ state: ItemState, exitCode: Int?, error: String?, slot: OutboxSlot?) async {
        // The job's last progress stays as it was: it says how far the run got.
        await sink.flush()
        let report = AttemptReport(attempt: attempt, state: state, exitCode: exitCode, error: error, endedAt: Date())
        await outbox.record(report, in: slot)
        if let failure = await outbox.deliver(report, slot: slot) {
            logger.warning("could not report \(state) yet, the outbox keeps it: \(failure)", metadata: ["item": "\(item.id)"])
        }
        setPhase(state)
    }

    fileprivate func setPhase(_ state: ItemState) {
        phase.withLock { $0 = (state, Date()) }
    }

    private func makeContext() async throws -> RunContext {
        let job = try await jobVersions.resolve(JobReference(name: item.jobName, version: item.jobVersion), from: backend)
        let queue = try await backend.queue(named: item.queue)
        let config = try queue.config.renderValidated(with: item.overrides.variables, target: queue.target)
        return RunContext(item: item, job: job, queue: queue, config: config,
                          workDirectory: configuration.workRoot.appendingPathComponent(item.id, isDirectory: true),
                          agent: configuration, artifacts: ArtifactStore(root: configuration.data.artifactsURL), blobs: backend.blobs)
    }

    /// The run's reporter: state moves go straight to the backend, logs and progress through the batching sink.
    private struct Reporter: RunReporter {
        let run: ItemRun

        /// A store that cannot take the move now (busy, full) is tried again while the lease lasts; a refusal (the item
        /// was cancelled or taken over) is final.
        func enter(_ state: ItemState) async throws {
            guard run.state.state != state else { return }
            await run.sink.flush()
            while true {
                do {
                    try await run.backend.reportState(run.attempt, to: state, exitCode: nil, error: nil)
                    break
                } catch let refusal as LaunchError where !refusal.isTransient {
                    throw refusal
                } catch {
                    if run.fence.hasPassed { throw error }
                    try await Task.sleep(for: .milliseconds(500))
                }
            }
            run.setPhase(state)
        }

        func log(_ stream: LogStream, _ line: String) async {
            await run.sink.append(stream, line)
        }

        func progress(phase: String, current: Double, total: Double?, message: String) async {
            await run.sink.report(phase: phase, current: current, total: total, message: message)
        }
    }
}
