import Foundation
import LaunchModel
import LaunchStore
import Logging
import Synchronization

/// One leased item from start to final state: prepare, run under the guard, stream, report.
final class ItemRun: Sendable {
    enum StopReason: Sendable {
        /// Cancelled by a user or reassigned: the backend already has its final word.
        case revoked
        /// The agent drains: hand the item back to its queue.
        case draining
    }

    let item: LaunchItem
    let backend: any LaunchBackend
    let configuration: AgentConfiguration
    let targets: [TargetKind: any LaunchTarget]
    let jobVersions: JobVersionCache
    let logger: Logger
    let handle = ProcessGroupHandle()
    private let stopReason = Mutex<StopReason?>(nil)
    /// Set once the run's context is known, so a stop can also reach the target (a container is stopped by name).
    private let cancellation = Mutex<(target: any LaunchTarget, context: RunContext)?>(nil)
    private let phase = Mutex<(state: ItemState, since: Date)>((.leased, Date()))
    let sink: LogSink

    init(item: LaunchItem, backend: any LaunchBackend, configuration: AgentConfiguration, targets: [TargetKind: any LaunchTarget],
         jobVersions: JobVersionCache, logger: Logger) {
        self.item = item
        self.backend = backend
        self.configuration = configuration
        self.targets = targets
        self.jobVersions = jobVersions
        self.logger = logger
        sink = LogSink(backend: backend, item: item.id, redactor: SecretValueRedactor.agentEnvironment)
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

    /// Runs to the end; never throws: every failure becomes the item's final state. Returns the work directory of a
    /// run that succeeded, for the agent to delete once the item's slot is free.
    func run() async -> URL? {
        let context: RunContext
        do {
            context = try await makeContext()
        } catch {
            await finish(.failed, exitCode: nil, error: "cannot start: \(error)")
            return nil
        }
        await sink.hide(context.secretValues)
        guard let target = targets[context.queue.target] else {
            await finish(.failed, exitCode: nil, error: "this agent cannot run \(context.queue.target) queues yet")
            return nil
        }
        cancellation.withLock { $0 = (target, context) }
        let runner = GuardedProcess(guardPath: configuration.guardPath, stopGraceSeconds: configuration.stopGraceSeconds, stepHandle: handle)
        let reporter = Reporter(run: self)
        do {
            if item.attempts > 1 { await target.cleanUpEarlierAttempt(context) }
            let spec = try await target.prepare(context, reporter: reporter, runner: runner)
            if stoppedFor != nil {
                await finishStopped(context: context, target: target)
                return nil
            }
            // The build's last progress stays until the job reports its own. The guard starts while the item is
            // recorded as running; the job itself only once that is stored.
            let status: Outcome
            do {
                status = try await runWithTimeout(spec, context: context, target: target, runner: runner) { try await reporter.enter(.running) }
                await target.afterRun(context)
            } catch {
                await target.afterRun(context)
                throw error
            }
            await sink.flush()
            if stoppedFor != nil {
                await finishStopped(context: context, target: target)
                return nil
            }
            switch status {
            case .exited(0):
                await finish(.succeeded, exitCode: 0, error: nil)
                return context.workDirectory
            case .exited(let code):
                await finish(.failed, exitCode: Int(code), error: "exit status \(code)" + (code > 128 ? " (signal \(code - 128))" : ""))
            case .timedOut(let limit):
                await finish(.failed, exitCode: nil, error: "timed out after \(limit) (resource.timeout)")
            }
        } catch {
            await sink.flush()
            if stoppedFor != nil {
                await finishStopped(context: context, target: target)
                return nil
            }
            await sink.append(.agent, "error: \(error)")
            await sink.flush()
            await finish(.failed, exitCode: nil, error: "\(error)")
        }
        // A failed run's directory stays, to look into.
        return nil
    }

    private enum Outcome {
        case exited(Int32)
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
        let status = try await runner.run(spec, handle: handle, startWhen: gate) { stream, line in
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
        return .exited(status)
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

    private func finishStopped(context: RunContext, target: any LaunchTarget) async {
        await sink.flush()
        switch stoppedFor {
        case .draining?:
            do {
                try await backend.reportState(item: item.id, agent: configuration.id, to: .queued, exitCode: nil, error: nil)
                logger.info("returned to its queue on drain", metadata: ["item": "\(item.id)"])
            } catch {
                logger.warning("could not return item on drain: \(error)", metadata: ["item": "\(item.id)"])
            }
        default:
            logger.info("stopped: no longer leased by this agent", metadata: ["item": "\(item.id)"])
        }
    }

    private func finish(_ state: ItemState, exitCode: Int?, error: String?) async {
        // The job's last progress stays as it was: it says how far the run got.
        await sink.flush()
        // A storage failure (a busy or briefly full disk) is tried again: unreported, the finished item would go back
        // to its queue when its lease runs out and run a second time. A refusal (the item was cancelled or taken
        // over meanwhile) is final.
        for attempt in 1...3 {
            do {
                try await backend.reportState(item: item.id, agent: configuration.id, to: state, exitCode: exitCode, error: error)
                setPhase(state)
                return
            } catch let failure as StoreError where attempt < 3 {
                logger.warning("could not report \(state), trying again: \(failure)", metadata: ["item": "\(item.id)"])
                try? await Task.sleep(for: .seconds(attempt))
            } catch {
                logger.warning("could not report \(state): \(error)", metadata: ["item": "\(item.id)"])
                return
            }
        }
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
                          agent: configuration, artifacts: ArtifactStore(root: configuration.data.artifactsURL))
    }

    /// The run's reporter: state moves go straight to the backend, logs and progress through the batching sink.
    private struct Reporter: RunReporter {
        let run: ItemRun

        func enter(_ state: ItemState) async throws {
            guard run.state.state != state else { return }
            await run.sink.flush()
            try await run.backend.reportState(item: run.item.id, agent: run.configuration.id, to: state, exitCode: nil, error: nil)
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
