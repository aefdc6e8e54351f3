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

/// The process group of a started run, so it can be stopped from outside the task that waits for it.
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
/// The guard's stdin is a pipe only this process can write to: if the agent dies, the guard sees EOF
/// and stops the job's whole process group, so no job outlives its agent unsupervised.
public struct GuardedProcess: Sendable {
    public let guardPath: String
    public let stopGraceSeconds: Double

    public init(guardPath: String, stopGraceSeconds: Double) {
        self.guardPath = guardPath
        self.stopGraceSeconds = stopGraceSeconds
    }

    /// Returns the exit status (128+signal when killed by a signal).
    public func run(_ spec: ProcessSpec, handle: ProcessGroupHandle,
                    onLine: @escaping @Sendable (LogStream, String) async -> Void) async throws -> Int32 {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw RunError.launch("cannot create the supervision pipe: \(String(cString: strerror(errno)))") }
        // Close-on-exec on both ends: other jobs must not inherit them (the read end reaches the guard via dup2).
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        let supervisionWriteEnd = fds[1]
        defer { close(supervisionWriteEnd) }

        var options = PlatformOptions()
        options.processGroupID = 0
        let environment = Environment.custom(Dictionary(uniqueKeysWithValues: spec.environment.map { (Environment.Key(rawValue: $0.key)!, $0.value) }))
        let result = try await Subprocess.run(
            .path(FilePath(guardPath)),
            arguments: Arguments([String(stopGraceSeconds), spec.executable] + spec.arguments),
            environment: environment,
            workingDirectory: spec.workingDirectory.map { FilePath($0) },
            platformOptions: options,
            input: .fileDescriptor(FileDescriptor(rawValue: fds[0]), closeAfterSpawningProcess: true),
            output: .sequence,
            error: .sequence
        ) { execution in
            handle.started(execution.processIdentifier.value)
            try await withThrowingTaskGroup(of: Void.self) { group in
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
                try await group.waitForAll()
            }
        }
        switch result.terminationStatus {
        case .exited(let code): return code
        case .signaled(let signal): return 128 + signal
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
