import Foundation
import LaunchModel
import Subprocess
import Synchronization
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A command to run for an item, always as an argv array: no shell ever sees user data.
public struct ProcessSpec: Sendable {
    public var executable: String
    public var arguments: [String]
    /// The whole environment of the process (nothing is inherited implicitly).
    public var environment: [String: String]
    public var workingDirectory: String?

    public init(executable: String, arguments: [String], environment: [String: String], workingDirectory: String? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
    }
}

/// The process group of a started run, so it can be stopped from outside the task that waits for it. One handle
/// serves an item's preparation steps (git, pip, podman build) and then its job, one process at a time: a stop
/// reaches whichever runs, and one requested between them stops the next as it starts.
public final class ProcessGroupHandle: Sendable {
    private let state = Mutex<(pid: pid_t?, stopRequested: Bool)>((nil, false))

    public init() {}

    var pid: pid_t? { state.withLock { $0.pid } }

    func started(_ pid: pid_t) {
        let stopNow = state.withLock { state -> Bool in
            state.pid = pid
            return state.stopRequested
        }
        if stopNow { _ = kill(-pid, SIGTERM) }
    }

    /// The process was reaped: its group id may be reused, so it is never signalled again.
    func exited() {
        state.withLock { $0.pid = nil }
    }

    /// SIGTERM to the whole group; the guard escalates to SIGKILL after its grace period.
    public func stop() {
        let pid = state.withLock { state -> pid_t? in
            state.stopRequested = true
            return state.pid
        }
        if let pid { _ = kill(-pid, SIGTERM) }
    }

    /// SIGKILL to the whole group, for when the guard itself does not answer.
    func kill9() {
        if let pid { _ = kill(-pid, SIGKILL) }
    }

    public var stopRequested: Bool { state.withLock { $0.stopRequested } }
}


/// How a guarded process ended.
public struct GuardedExit: Sendable, Hashable {
    /// The exit status, 128+signal when killed by a signal.
    public var status: Int32
    /// The guard stopped it because its lease fence passed without a renewal.
    public var fenced: Bool
    /// Processes the job left running when its main process exited, which the guard then ended.
    public var leftovers: Int
}

/// Runs a process under `launchdeck-guard` in its own process group, streaming its output line by line.
/// The guard's stdin is a socket only this process holds the other end of: if the agent dies, the guard sees EOF
/// and stops the job's whole process tree, so no job outlives its agent unsupervised; and the guard follows the
/// attempt's lease fence by its own clock, so a frozen agent's job stops before its lease can run out.
public struct GuardedProcess: Sendable {
    public let guardPath: String
    /// SIGTERM to SIGKILL, and the time left for the stop command after that (`FenceTiming`).
    public let stopGraceSeconds: Double
    public let slackSeconds: Double
    /// What stops preparation steps: the item's own handle, so a cancel or a drain during a long `pip install`
    /// stops it instead of waiting for it. (`resource.timeout` limits the job's run, which starts after them.)
    public let stepHandle: ProcessGroupHandle
    /// The attempt's fence; nil runs without one (a process that holds no lease).
    public let fence: LeaseFence?
    /// The user to run as (`agent --run-as`), or nil for the agent's own.
    public let identity: JobIdentity?
    /// The job's umask: the one the agent was started with (LaunchDeck itself writes with 077).
    public let umask: mode_t?
    /// When preparation must be over (`resource.prepare_timeout`): steps (git, pip, podman build) are stopped by their
    /// guard then, as by a fence, and fail with `PreparationTimeout`. The job's own run has no such limit.
    public let preparationDeadline: BootInstant?

    public init(guardPath: String, stopGraceSeconds: Double, slackSeconds: Double = 2, stepHandle: ProcessGroupHandle = ProcessGroupHandle(),
                fence: LeaseFence? = nil, identity: JobIdentity? = nil, umask: mode_t? = nil, preparationDeadline: BootInstant? = nil) {
        self.guardPath = guardPath
        self.stopGraceSeconds = stopGraceSeconds
        self.slackSeconds = slackSeconds
        self.stepHandle = stepHandle
        self.fence = fence
        self.identity = identity
        self.umask = umask
        self.preparationDeadline = preparationDeadline
    }

    /// The runner of one attempt: its fence's timing and fence, who runs its processes, and its preparation's limit.
    public init(guardPath: String, fence: LeaseFence, stepHandle: ProcessGroupHandle, identity: JobIdentity?, umask: mode_t?,
                preparationDeadline: BootInstant? = nil) {
        self.init(guardPath: guardPath, stopGraceSeconds: fence.timing.grace, slackSeconds: fence.timing.slack, stepHandle: stepHandle,
                  fence: fence, identity: identity, umask: umask, preparationDeadline: preparationDeadline)
    }

    /// The job itself starts only once `gate` returns: the guard is spawned at once and waits for the agent's "go", so
    /// the spawn overlaps whatever the gate does (recording the item as running). When `gate` throws, the guard exits
    /// without starting the job and the error is rethrown. `stopCommand` ends what the process tree does not hold (a
    /// container, a Slurm job) when the run is stopped before it finished by itself.
    /// `stopAt`, when given, stops the process then at the latest, as its fence would (a preparation step's deadline).
    public func run(_ spec: ProcessSpec, handle: ProcessGroupHandle, stopCommand: [String] = [], stopAt: BootInstant? = nil,
                    startWhen gate: (@Sendable () async throws -> Void)? = nil,
                    onLine: @escaping @Sendable (LogStream, String) async -> Void) async throws -> GuardedExit {
        let supervision = try SupervisionChannel(stopAt: stopAt)
        defer { supervision.close() }
        defer { fence?.detach(supervision) }

        defer { handle.exited() }
        var options = PlatformOptions()
        options.processGroupID = 0
        let environment = Environment.custom(Dictionary(uniqueKeysWithValues: spec.environment.map { (Environment.Key(rawValue: $0.key)!, $0.value) }))
        var guardArguments = ["--grace", String(stopGraceSeconds), "--slack", String(slackSeconds)]
        if let umask { guardArguments += ["--umask", String(umask, radix: 8)] }
        if let identity { guardArguments += identity.guardArguments }
        for argument in stopCommand { guardArguments += ["--stop", argument] }
        let fence = self.fence
        let result = try await Subprocess.run(
            .path(FilePath(guardPath)),
            arguments: Arguments(guardArguments + ["--", spec.executable] + spec.arguments),
            environment: environment,
            workingDirectory: spec.workingDirectory.map { FilePath($0) },
            platformOptions: options,
            input: .fileDescriptor(FileDescriptor(rawValue: supervision.guardEnd), closeAfterSpawningProcess: true),
            output: .sequence,
            error: .sequence
        ) { execution -> GateRefusal? in
            handle.started(execution.processIdentifier.value)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await Self.stream(execution.standardOutput, as: .stdout, to: onLine) }
                group.addTask { try await Self.stream(execution.standardError, as: .stderr, to: onLine) }
                var refusal: GateRefusal?
                do {
                    try await gate?()
                    if let fence { fence.start(supervision) } else { supervision.sendGo(fenceAt: nil) }
                } catch {
                    refusal = GateRefusal(error: error)
                    supervision.close()
                }
                try await group.waitForAll()
                return refusal
            }
        }
        if let refusal = result.closureResult { throw refusal.error }
        let answers = supervision.answers()
        let status: Int32 = switch result.terminationStatus {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
        let leftovers = answers.compactMap { $0.hasPrefix("leftovers ") ? Int($0.dropFirst("leftovers ".count)) : nil }.last ?? 0
        return GuardedExit(status: status, fenced: answers.contains("fenced"), leftovers: leftovers)
    }

    /// Reads a pipe to its end, whatever the job writes into it (see OutputLineSplitter).
    private static func stream(_ output: SubprocessOutputSequence, as stream: LogStream,
                               to onLine: @escaping @Sendable (LogStream, String) async -> Void) async throws {
        var splitter = OutputLineSplitter()
        for try await chunk in output {
            let lines = chunk.withUnsafeBytes { splitter.feed($0) }
            for line in lines { await onLine(stream, line) }
        }
        if let last = splitter.finish() { await onLine(stream, last) }
    }

    private struct GateRefusal: Sendable {
        let error: any Error
    }
}

public enum RunError: Error, Sendable, CustomStringConvertible {
    case launch(String)
    case prepare(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .launch(let message), .prepare(let message), .unsupported(let message): message
        }
    }
}
