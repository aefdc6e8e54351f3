import Foundation
@testable import LaunchAgent
import LaunchModel
import Synchronization
import Testing

/// The guard against the real `launchdeck-guard`, built with the package beside the test runner.
@Suite struct GuardedProcessTests {
    static let guardPath: String = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while directory.path.contains(".xctest") { directory.deleteLastPathComponent() }
        return directory.appendingPathComponent("launchdeck-guard").path
    }()

    struct Refused: Error, Equatable {}

    let runner = GuardedProcess(guardPath: guardPath, stopGraceSeconds: 1)
    let environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]

    @Test func theJobStartsOnlyAfterTheGateReturns() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.guardPath), "launchdeck-guard is built with the package")
        let gateDone = Mutex<Double>(0)
        let printed = Mutex<[String]>([])
        let status = try await runner.run(ProcessSpec(executable: "date", arguments: ["+%s.%N"], environment: environment),
                                          handle: ProcessGroupHandle(), startWhen: {
            try await Task.sleep(for: .milliseconds(300))
            gateDone.withLock { $0 = Date().timeIntervalSince1970 }
        }) { _, line in printed.withLock { $0.append(line) } }
        #expect(status.status == 0)
        let started = try #require(printed.withLock { $0.first }.flatMap(Double.init))
        #expect(started >= gateDone.withLock { $0 }, "the job ran before its item was recorded as running")
    }

    @Test func aGateThatThrowsStartsNothingAndRethrows() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("guard-\(UUID().uuidString)")
        await #expect(throws: Refused.self) {
            _ = try await runner.run(ProcessSpec(executable: "touch", arguments: [marker.path], environment: environment),
                                     handle: ProcessGroupHandle(), startWhen: { throw Refused() }) { _, _ in }
        }
        #expect(!FileManager.default.fileExists(atPath: marker.path), "the job ran although its gate refused")
    }

    @Test func aStopBeforeTheGateOpensEndsTheGuardWithoutTheJob() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("guard-\(UUID().uuidString)")
        let handle = ProcessGroupHandle()
        let status = try await runner.run(ProcessSpec(executable: "touch", arguments: [marker.path], environment: environment),
                                          handle: handle, startWhen: {
            handle.stop()
            try await Task.sleep(for: .milliseconds(200))
        }) { _, _ in }
        #expect(status.status == 128 + SIGTERM)
        #expect(!FileManager.default.fileExists(atPath: marker.path), "the job ran although it was stopped before it started")
    }
}

/// Everything a job starts ends with its attempt, however the attempt ends; and a job whose lease is not renewed
/// stops before the lease could run out.
@Suite struct GuardedProcessTreeTests {
    let environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]

    /// A job that leaves behind a child ignoring SIGTERM, and a daemon in a session of its own (setsid, double fork),
    /// and writes their pids to `pids`.
    func spawner(pids: URL, then last: String) -> ProcessSpec {
        let script = """
            trap '' TERM
            sh -c 'trap "" TERM; exec sleep 60' & echo $! >> '\(pids.path)'
            setsid sh -c 'echo $$ >> "\(pids.path)"; sleep 61 & echo $! >> "\(pids.path)"; trap "" TERM; wait' &
            for i in 1 2 3 4 5 6 7 8 9 10; do [ $(wc -l < '\(pids.path)') -ge 3 ] && break; sleep 0.1; done
            \(last)
            """
        return ProcessSpec(executable: "sh", arguments: ["-c", script], environment: environment)
    }

    func recordedPIDs(_ url: URL) throws -> [Int32] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").compactMap { Int32($0) }
    }

    func scratch() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("guard-\(UUID().uuidString)")
    }

    @Test func leftoversOfAFinishedJobAreEnded() async throws {
        let pids = scratch()
        let runner = GuardedProcess(guardPath: GuardedProcessTests.guardPath, stopGraceSeconds: 0.5)
        let exit = try await runner.run(spawner(pids: pids, then: "exit 3"), handle: ProcessGroupHandle()) { _, _ in }
        #expect(exit.status == 3)
        let left = try recordedPIDs(pids)
        #expect(left.count == 3, "\(left)")
        #expect(exit.leftovers >= 3)
        for pid in left { #expect(!processAlive(pid), "process \(pid) outlived its job") }
    }

    @Test func aStopEndsTheWholeTreeWithItsStopCommand() async throws {
        let pids = scratch()
        let stopped = scratch()
        let handle = ProcessGroupHandle()
        let runner = GuardedProcess(guardPath: GuardedProcessTests.guardPath, stopGraceSeconds: 0.5)
        let watcher = TreeWatcher(pids: pids)
        async let exit = runner.run(spawner(pids: pids, then: "sleep 60"), handle: handle, stopCommand: ["touch", stopped.path]) { _, _ in }
        #expect(await eventuallyAsync(timeout: 60) { watcher.seen >= 3 })
        let stopAt = BootInstant.now
        handle.stop()
        let ended = try await exit
        #expect(ended.status == 128 + SIGTERM || ended.status == 128 + SIGKILL, "\(ended)")
        let lastAlive = try #require(watcher.stop())
        // SIGTERM, the grace period (0.5 s), SIGKILL for the two that ignore SIGTERM: a bound far above that.
        #expect(lastAlive.seconds(since: stopAt) < 10)
        for pid in try recordedPIDs(pids) { #expect(!processAlive(pid), "process \(pid) outlived the stop") }
        #expect(FileManager.default.fileExists(atPath: stopped.path), "the stop command did not run")
    }

    @Test func aFinishedJobDoesNotRunItsStopCommand() async throws {
        let stopped = scratch()
        let runner = GuardedProcess(guardPath: GuardedProcessTests.guardPath, stopGraceSeconds: 0.5)
        let exit = try await runner.run(ProcessSpec(executable: "true", arguments: [], environment: environment), handle: ProcessGroupHandle(),
                                        stopCommand: ["touch", stopped.path]) { _, _ in }
        #expect(exit == GuardedExit(status: 0, fenced: false, leftovers: 0))
        #expect(!FileManager.default.fileExists(atPath: stopped.path))
    }

    /// Nobody renews the lease (the agent is frozen): the guard stops the job, tree and all, before the lease ends.
    /// Watched from a thread of its own, so a busy test process cannot blur when the job's processes died.
    @Test func theFenceStopsAJobWhoseLeaseIsNotRenewed() async throws {
        let pids = scratch()
        let timing = FenceTiming(leaseSeconds: 3, stopGraceSeconds: 5)
        let sent = BootInstant.now
        let fence = LeaseFence(timing: timing, leaseSentAt: sent)
        let runner = GuardedProcess(guardPath: GuardedProcessTests.guardPath, fence: fence, stepHandle: ProcessGroupHandle(), identity: nil,
                                    umask: nil)
        let watcher = TreeWatcher(pids: pids)
        let exit = try await runner.run(spawner(pids: pids, then: "sleep 60"), handle: ProcessGroupHandle()) { _, _ in }
        #expect(exit.fenced)
        if let lastAlive = watcher.stop() {
            #expect(lastAlive.seconds(since: sent) < timing.leaseSeconds, "the job outlived its lease")
        }
        for pid in (try? recordedPIDs(pids)) ?? [] { #expect(!processAlive(pid), "process \(pid) outlived the fence") }
    }

    @Test func renewalsKeepAJobRunningPastItsFirstFence() async throws {
        let timing = FenceTiming(leaseSeconds: 2, stopGraceSeconds: 5)
        let fence = LeaseFence(timing: timing, leaseSentAt: .now)
        let runner = GuardedProcess(guardPath: GuardedProcessTests.guardPath, fence: fence, stepHandle: ProcessGroupHandle(), identity: nil,
                                    umask: nil)
        // Renewed from a thread, as heartbeats would be, however busy the test process's task pool is.
        let renewer = Renewer(fence)
        defer { renewer.stop() }
        let exit = try await runner.run(ProcessSpec(executable: "sleep", arguments: ["3"], environment: environment), handle: ProcessGroupHandle()) { _, _ in }
        #expect(exit == GuardedExit(status: 0, fenced: false, leftovers: 0))
    }

    /// One line of 5 MiB, then 3 MiB without a newline: both are read (cut for storage), and the job is never blocked.
    @Test func linesOfAnyLengthAreReadAndCut() async throws {
        let runner = GuardedProcess(guardPath: GuardedProcessTests.guardPath, stopGraceSeconds: 0.5)
        let lines = Mutex<[String]>([])
        let script = "head -c 5242880 /dev/zero | tr '\\0' x; echo; echo after; head -c 3145728 /dev/zero | tr '\\0' y"
        let exit = try await runner.run(ProcessSpec(executable: "sh", arguments: ["-c", script], environment: environment),
                                        handle: ProcessGroupHandle()) { _, line in lines.withLock { $0.append(line) } }
        #expect(exit.status == 0)
        let seen = lines.withLock { $0 }
        #expect(seen.count == 3, "\(seen.map { $0.prefix(20) })")
        #expect(seen.first == String(repeating: "x", count: LogLineLimit.bytes) + LogLineLimit.marker(cutBytes: 5_242_880 - LogLineLimit.bytes))
        #expect(seen.dropFirst().first == "after")
        #expect(seen.last == String(repeating: "y", count: LogLineLimit.bytes) + LogLineLimit.marker(cutBytes: 3_145_728 - LogLineLimit.bytes))
    }
}

/// Renews a fence every 100 ms from a thread of its own until stopped.
final class Renewer: Sendable {
    private let running = Mutex(true)

    init(_ fence: LeaseFence) {
        Thread { [self] in
            while running.withLock({ $0 }) {
                fence.renewed(sentAt: .now)
                Thread.sleep(forTimeInterval: 0.1)
            }
        }.start()
    }

    func stop() { running.withLock { $0 = false } }
}

/// Watches, from a thread of its own, the processes a job records in `pids`: how many were seen, and when the last of
/// them was last seen alive.
final class TreeWatcher: Sendable {
    private let state = Mutex<(seen: Set<Int32>, lastAlive: BootInstant?, running: Bool)>(([], nil, true))

    init(pids: URL) {
        let thread = Thread { [self] in
            while state.withLock({ $0.running }) {
                let recorded = ((try? String(contentsOf: pids, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
                let alive = recorded.contains(where: processAlive)
                state.withLock { state in
                    state.seen.formUnion(recorded)
                    if alive { state.lastAlive = .now }
                }
                Thread.sleep(forTimeInterval: 0.005)
            }
        }
        thread.start()
    }

    var seen: Int { state.withLock { $0.seen.count } }

    /// Stops watching; when the last process was last seen alive (nil: none ever was).
    func stop() -> BootInstant? {
        state.withLock { state in
            state.running = false
            return state.lastAlive
        }
    }
}

func processAlive(_ pid: Int32) -> Bool {
    kill(pid, 0) == 0 && !((try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains(") Z ") ?? true)
}

func eventuallyAsync(timeout: Double = 10, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(timeout)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return condition()
}
