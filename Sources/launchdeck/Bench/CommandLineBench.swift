import Foundation
import LaunchStore

/// Commands as people run them, a process each: start to exit of this very binary. A shell loop of
/// `launchdeck enqueue` (the one-by-one comparison with `sbatch`) costs this per job.
enum CommandLineBench {
    static func run(root: URL, into report: inout BenchReport) async throws {
        let (backend, directory) = try await AgentBench.setUp(root, "cli", entrypoint: ["true"])
        let version = try times(["--version"], runs: 100, home: directory)
        report.results.append(BenchResult(group: "cli", name: "launchdeck --version (process start to exit)", unit: "ms",
                                          median: version.median, p99: version.p99))
        let enqueue = try times(["enqueue", "noop", "--queue", "bench"], runs: 100, home: directory)
        report.results.append(BenchResult(group: "cli", name: "launchdeck enqueue, one item (process start to exit)", unit: "ms",
                                          median: enqueue.median, p99: enqueue.p99, note: Self.runtimeNote))
        let listed = 1_000
        let queued = try await backend.queueDepths()["bench"]?[.queued] ?? 0
        _ = try await backend.enqueue(batch: Array(repeating: StoreBench.request, count: max(0, listed - queued)))
        let items = try times(["items", "--queue", "bench"], runs: 30, home: directory)
        report.results.append(BenchResult(group: "cli", name: "launchdeck items, \(listed) items listed", unit: "ms",
                                          median: items.median, p99: items.p99))
    }

    /// Wall time of each run, in ms. posix_spawn rather than Foundation's Process, whose own set-up would be
    /// counted; output goes to /dev/null, as in a loop that keeps only the exit status.
    static func times(_ arguments: [String], runs: Int, home: DataDirectory) throws -> Samples {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        var environment = ProcessInfo.processInfo.environment
        environment["LAUNCHDECK_HOME"] = home.url.path
        let argv = [executable] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var cArguments = argv.map { strdup($0) } + [nil]
        var cEnvironment = envp.map { strdup($0) } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var samples = Samples()
        let clock = ContinuousClock()
        for _ in 0..<runs {
            var pid: pid_t = 0
            var status: Int32 = 0
            let started = clock.now
            let spawned = posix_spawn(&pid, executable, &actions, nil, &cArguments, &cEnvironment)
            guard spawned == 0 else {
                throw CommandExit(code: 1, message: "bench: cannot start \(executable): \(String(cString: strerror(spawned)))")
            }
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let elapsed = clock.now - started
            // Exited normally with status 0: WIFEXITED and WEXITSTATUS, which Swift does not import as functions.
            guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
                throw CommandExit(code: 1, message: "bench: `launchdeck \(arguments.joined(separator: " "))` failed (wait status \(status))")
            }
            samples.add(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
        }
        return samples
    }

    /// Whether this binary carries the Swift runtime (`swift build --static-swift-stdlib`, as the README installs
    /// it) or loads it from shared libraries, which costs every command a few milliseconds.
    static var runtimeNote: String {
        // Read to the end: String(contentsOfFile:) stops after its first read of a /proc file (4 KB of a 10 KB maps).
        let maps = FileHandle(forReadingAtPath: "/proc/self/maps").map { String(decoding: $0.readDataToEndOfFile(), as: UTF8.self) } ?? ""
        return maps.contains("libswiftCore.so")
            ? "this binary loads the Swift runtime from shared libraries; built with --static-swift-stdlib it starts faster"
            : "this binary has the Swift runtime linked in (--static-swift-stdlib)"
    }
}
