import Foundation
import LaunchAPI
import LaunchModel
import LaunchStore

/// The agent through real processes: enqueue-to-start latency on an idle agent, and trivial items end to end.
enum AgentBench {
    static func run(root: URL, into report: inout BenchReport, dispatchItems: Int, endToEndItems: Int) async throws {
        // Dispatch: one item at a time on an idle agent; the job prints the time it started.
        let (backend, directory) = try await setUp(root, "dispatch", entrypoint: ["date", "+%s.%N"])
        let agent = try await startAgent(directory, backend: backend, maxJobs: 1)
        defer { stop(agent) }
        var latency = Samples()
        for _ in 0..<dispatchItems {
            let item = try await backend.enqueue(StoreBench.request)
            let started = try await waitForStart(backend, item.id)
            latency.add((started - item.timestamps.enqueued.timeIntervalSince1970) * 1000)
        }
        report.results.append(BenchResult(group: "dispatch", name: "enqueue -> process started, idle agent (\(dispatchItems) items)", unit: "ms",
                                          median: latency.median, p99: latency.p99, goal: "p50 < 50, p99 < 200",
                                          met: latency.median < 50 && latency.p99 < 200))

        // End to end: a batch of `true` through one agent running two at a time.
        let (e2eBackend, e2eDirectory) = try await setUp(root, "e2e", entrypoint: ["true"])
        let busy = try await startAgent(e2eDirectory, backend: e2eBackend, maxJobs: 2)
        defer { stop(busy) }
        let (_, seconds) = try await measure {
            _ = try await e2eBackend.enqueue(batch: Array(repeating: StoreBench.request, count: endToEndItems))
            while try await e2eBackend.queueDepths()["bench"].map({ $0[.succeeded] + $0[.failed] }) ?? 0 < endToEndItems {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        let failed = try await e2eBackend.queueDepths()["bench"]?[.failed] ?? 0
        report.results.append(BenchResult(group: "end to end", name: "\(endToEndItems) x true, one agent, --max-jobs 2", unit: "items/s",
                                          median: Double(endToEndItems) / seconds, goal: ">= 200", met: Double(endToEndItems) / seconds >= 200,
                                          note: failed > 0 ? "\(failed) items failed" : nil))
    }

    static func setUp(_ root: URL, _ name: String, entrypoint: [String]) async throws -> (SQLiteBackend, DataDirectory) {
        let directory = DataDirectory(url: root.appendingPathComponent(name, isDirectory: true))
        let backend = try SQLiteBackend(directory: directory)
        let code = directory.url.appendingPathComponent("code", isDirectory: true)
        try FileManager.default.createDirectory(at: code, withIntermediateDirectories: true)
        try Data("benchmark job\n".utf8).write(to: code.appendingPathComponent("README"))
        let snapshot = try ArtifactStore(root: directory.artifactsURL).snapshot(directory: code)
        _ = try await backend.createJob(name: "noop", spec: JobSpec(source: .snapshot(digest: snapshot.digest), entrypoint: entrypoint))
        _ = try await backend.createQueue(name: "bench", target: .localProcess, config: try QueueConfig.parse("", target: .localProcess))
        return (backend, directory)
    }

    /// An agent process on the bench queue, once it has registered and polls. One that exits first (no
    /// launchdeck-guard beside this binary, say) ends the bench with its own error rather than a wait for items
    /// that never start.
    static func startAgent(_ directory: DataDirectory, backend: SQLiteBackend, maxJobs: Int) async throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["agent", "--queue", "bench", "--max-jobs", String(maxJobs), "--name", "bench", "--poll-interval", "1"]
        var environment = ProcessInfo.processInfo.environment
        environment["LAUNCHDECK_HOME"] = directory.url.path
        process.environment = environment
        let errors = directory.url.appendingPathComponent("agent.err")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let deadline = ContinuousClock.now + .seconds(30)
        while try await !backend.agents().contains(where: { $0.name == "bench" }) {
            if !process.isRunning {
                let said = (try? String(contentsOf: errors, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                throw CommandExit(code: 1, message: "bench: its agent exited (status \(process.terminationStatus)) before it started: \(said.isEmpty ? "no message" : said)")
            }
            guard ContinuousClock.now < deadline else {
                stop(process)
                throw CommandExit(code: 1, message: "bench: its agent did not register within 30 s")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return process
    }

    static func stop(_ process: Process) {
        process.terminate()
        process.waitUntilExit()
    }

    /// The start time the job printed, once it has finished.
    static func waitForStart(_ backend: any LaunchBackend, _ id: String) async throws -> Double {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let item = try await backend.item(id: id)
            if item.state.isFinal {
                guard let line = try await backend.logs(itemID: id, tail: 1).first, let started = Double(line.text) else {
                    throw CommandExit(code: 1, message: "bench: item \(id) printed no start time (\(item.state), \(item.error ?? ""))")
                }
                return started
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw CommandExit(code: 1, message: "bench: item \(id) did not finish within 30 s")
    }
}
