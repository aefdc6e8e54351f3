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


/// Runs a process under `launchdeck-guard` in its own process group, streaming its output line by line.
/// The guard's stdin is a socket only this process holds the other end of: if the agent dies, the guard sees EOF
/// and stops the job's whole process group, so no job outlives its agent unsupervised.
public struct GuardedProcess: Sendable {
    public let guardPath: String
    public let stopGraceSeconds: Double
    /// What stops preparation steps: the item's own handle, so a cancel or a drain during a long `pip install`
    /// stops it instead of waiting for it. (`resource.timeout` limits the job's run, which starts after them.)
    public let stepHandle: ProcessGroupHandle

    public init(guardPath: String, stopGraceSeconds: Double, stepHandle: ProcessGroupHandle = ProcessGroupHandle()) {
        self.guardPath = guardPath
        self.stopGraceSeconds = stopGraceSeconds
        self.stepHandle = stepHandle
    }

    /// Returns the exit status (128+signal when killed by a signal). The job itself starts only once `gate` returns:
    /// the guard is spawned at once and waits for the agent's "go", so the spawn overlaps whatever the gate does
    /// (recording the item as running). When `gate` throws, the guard exits without starting the job and the error
    /// is rethrown.
    public func run(_ spec: ProcessSpec, handle: ProcessGroupHandle, startWhen gate: (@Sendable () async throws -> Void)? = nil,
                    onLine: @escaping @Sendable (LogStream, String) async -> Void) async throws -> Int32 {
        let supervision = try SupervisionChannel()
        defer { supervision.close() }

        defer { handle.exited() }
        var options = PlatformOptions()
        options.processGroupID = 0
        let environment = Environment.custom(Dictionary(uniqueKeysWithValues: spec.environment.map { (Environment.Key(rawValue: $0.key)!, $0.value) }))
        let result = try await Subprocess.run(
            .path(FilePath(guardPath)),
            arguments: Arguments([String(stopGraceSeconds), spec.executable] + spec.arguments),
            environment: environment,
            workingDirectory: spec.workingDirectory.map { FilePath($0) },
            platformOptions: options,
            input: .fileDescriptor(FileDescriptor(rawValue: supervision.guardEnd), closeAfterSpawningProcess: true),
            output: .sequence,
            error: .sequence
        ) { execution -> GateRefusal? in
            handle.started(execution.processIdentifier.value)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await line in execution.standardOutput.strings(bufferingPolicy: .maxLineLength(1 << 20)) {
                        await onLine(.stdout, line)
                    }
                }
                group.addTask {
                    for try await line in execution.standardError.strings(bufferingPolicy: .maxLineLength(1 << 20)) {
                        await onLine(.stderr, line)
                    }
                }
                var refusal: GateRefusal?
                do {
                    try await gate?()
                    supervision.sendGo()
                } catch {
                    refusal = GateRefusal(error: error)
                    supervision.close()
                }
                try await group.waitForAll()
                return refusal
            }
        }
        if let refusal = result.closureResult { throw refusal.error }
        switch result.terminationStatus {
        case .exited(let code): return code
        case .signaled(let signal): return 128 + signal
        }
    }

    private struct GateRefusal: Sendable {
        let error: any Error
    }
}

/// The guard's stdin, a connected pair whose other end only this process holds: "go" starts the job, EOF (our end
/// closed, by us or by our death) stops it. A socket pair rather than a pipe so "go" to a guard that already ended
/// (stopped before it) fails with EPIPE instead of raising SIGPIPE in the agent.
private final class SupervisionChannel: Sendable {
    let guardEnd: Int32
    private let agentEnd: Mutex<Int32?>

    init() throws {
        var fds: [Int32] = [-1, -1]
        // Close-on-exec on both ends: other jobs must not inherit them (the guard's end reaches it via dup2).
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw RunError.launch("cannot create the supervision socket: \(String(cString: strerror(errno)))")
        }
        guardEnd = fds[0]
        agentEnd = Mutex(fds[1])
    }

    func sendGo() {
        agentEnd.withLock { fd in if let fd { _ = send(fd, "g", 1, Int32(MSG_NOSIGNAL)) } }
    }

    func close() {
        agentEnd.withLock { fd in
            if let open = fd { _ = Glibc.close(open) }
            fd = nil
        }
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
