import Foundation
import LaunchAPI
import LaunchClient
import LaunchModel
import LaunchStore

/// `launchdeck server` on loopback, as a process of its own: enqueues through HTTP, lease+finish by agent processes
/// through it, enqueue to start on an idle remote agent, a remote dashboard's first frame, and the server's memory
/// with agents and dashboards attached.
enum ServerBench {
    struct Server {
        let process: Process
        let url: String
        let token: String
        let home: URL

        func client() throws -> HTTPBackend { try HTTPBackend(url: url, token: token) }

        /// Environment for a client process of its own machine (a data directory of its own) pointed at this server.
        func environment(home: URL) -> [String: String] {
            var environment = ProcessInfo.processInfo.environment
            environment["LAUNCHDECK_HOME"] = home.path
            environment["LAUNCHDECK_BACKEND"] = url
            environment["LAUNCHDECK_TOKEN"] = token
            return environment
        }

        var rssMiB: Double {
            let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            return (line.flatMap { Double($0.split(separator: " ").dropFirst().first ?? "") } ?? 0) / 1024
        }
    }

    static let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()

    static func start(_ root: URL) async throws -> Server {
        let home = root.appendingPathComponent("server", isDirectory: true)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let out = home.appendingPathComponent("server.out")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = ["server", "--listen", "127.0.0.1:0"]
        var environment = ProcessInfo.processInfo.environment
        environment["LAUNCHDECK_HOME"] = home.path
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: out)
        // One log line per request: to a file, where it costs what it costs in production.
        let log = home.appendingPathComponent("server.err")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("launchdeck server listening on ") }) {
                let url = String(line.dropFirst("launchdeck server listening on ".count).split(separator: " ")[0])
                let token = try String(contentsOf: home.appendingPathComponent("admin-token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                return Server(process: process, url: url, token: token, home: home)
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.terminate()
        throw CommandExit(code: 1, message: "bench: the server did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    static func run(root: URL, into report: inout BenchReport, dispatchItems: Int, dashboardItems: Int) async throws {
        let group = "server"
        let server = try await start(root)
        defer {
            server.process.terminate()
            server.process.waitUntilExit()
        }
        let client = try server.client()
        try await StoreBench.prepare(client, queues: ["bench", "lease-1", "lease-8", "dispatch", "dashboard"])

        // Enqueue over HTTP: one request per item, then batches.
        let (single, latency) = try await StoreBench.enqueueOneByOne(client)
        report.results.append(BenchResult(group: group, name: "HTTP enqueue, one per request", unit: "items/s", median: single,
                                          note: String(format: "latency p50 %.2f ms, p99 %.2f ms", latency.median, latency.p99)))
        let (_, batched) = try await measure {
            for _ in 0..<10 { _ = try await client.enqueue(batch: Array(repeating: StoreBench.request, count: 1000)) }
        }
        report.results.append(BenchResult(group: group, name: "HTTP enqueue, batches of 1000", unit: "items/s", median: 10_000 / batched))

        // Lease+finish by agent processes, each leasing and reporting through the server.
        for agents in [1, 8] {
            var request = StoreBench.request
            request.queue = "lease-\(agents)"
            _ = try await client.enqueue(batch: Array(repeating: request, count: 2000))
            let (ids, seconds) = try await measure { try await leaseWorkers(agents, queue: request.queue, server: server, root: root) }
            let duplicates = ids.count - Set(ids).count
            let whole = duplicates == 0 && Set(ids).count == 2000
            report.results.append(BenchResult(group: group, name: "lease+finish through the server, \(agents) agent process\(agents == 1 ? "" : "es")",
                                              unit: "items/s", median: Double(ids.count) / seconds, goal: "0 duplicates, 0 lost", met: whole,
                                              note: whole ? nil : "\(duplicates) duplicates, \(2000 - Set(ids).count) lost"))
        }

        // Enqueue to process start on an idle agent on a machine of its own: its lease waits on the server.
        let code = root.appendingPathComponent("dispatch-code", isDirectory: true)
        try FileManager.default.createDirectory(at: code, withIntermediateDirectories: true)
        try Data("benchmark job\n".utf8).write(to: code.appendingPathComponent("README"))
        let workstation = CommandContext(directory: DataDirectory(url: root.appendingPathComponent("workstation")), backend: client,
                                         embedded: nil, remote: client)
        let digest = try await workstation.snapshot(code)
        _ = try await client.createJob(name: "clock", spec: JobSpec(source: .snapshot(digest: digest), entrypoint: ["date", "+%s.%N"]))
        let agentHome = root.appendingPathComponent("agent-machine", isDirectory: true)
        let agent = try startProcess(["agent", "--queue", "dispatch", "--max-jobs", "1", "--name", "remote-bench"],
                                     environment: server.environment(home: agentHome), log: root.appendingPathComponent("remote-agent.err"))
        defer { agent.terminate(); agent.waitUntilExit() }
        let registered = ContinuousClock.now + .seconds(30)
        while try await !client.agents().contains(where: { $0.name == "remote-bench" && $0.isLive }), ContinuousClock.now < registered {
            try await Task.sleep(for: .milliseconds(20))
        }
        var dispatch = Samples()
        for index in 0..<dispatchItems {
            // An idle agent: each item after the last one finished and the agent is back in its wait.
            if index > 0 { try await Task.sleep(for: .milliseconds(50)) }
            let item = try await client.enqueue(EnqueueRequest(job: JobReference(name: "clock", version: nil), queue: "dispatch"))
            let started = try await AgentBench.waitForStart(client, item.id)
            dispatch.add((started - item.timestamps.enqueued.timeIntervalSince1970) * 1000)
        }
        report.results.append(BenchResult(group: group, name: "enqueue -> process started, idle remote agent (\(dispatchItems) items)", unit: "ms",
                                          median: dispatch.median, p99: dispatch.p99, goal: "p50 < 20, p99 < 100",
                                          met: dispatch.median < 20 && dispatch.p99 < 100))

        // A remote dashboard: process start to its first full frame of a queue of `dashboardItems`.
        var dashboardRequest = StoreBench.request
        dashboardRequest.queue = "dashboard"
        for start in stride(from: 0, to: dashboardItems, by: 10_000) {
            _ = try await client.enqueue(batch: Array(repeating: dashboardRequest, count: min(10_000, dashboardItems - start)))
        }
        var environment = server.environment(home: root.appendingPathComponent("laptop", isDirectory: true))
        environment["TERM"] = "xterm-256color"
        let terminal = try PseudoTerminal(argv: [executable.path, "--no-agent", "--queue", "dashboard"], environment: environment, columns: 160, rows: 48)
        let started = ContinuousClock.now
        // First the frame a long load shows at once (every queue's counts, the newest items), then the whole list.
        // The texts are matched in the raw output, where curses rewrites only what changed: "(100000)" after
        // "(newest 200 of 100000, loading)" arrives without its unchanged "(".
        guard let firstFrame = try await terminal.waitFor("\(dashboardItems),", timeout: .seconds(60)),
              try await terminal.waitFor("\(dashboardItems))", timeout: .seconds(60)) != nil else {
            throw CommandExit(code: 1, message: "bench: the remote dashboard showed no frame with \(dashboardItems) items within 60 s: \(terminal.output.suffix(300).debugDescription)")
        }
        let fullFrame = ContinuousClock.now - started
        report.results.append(BenchResult(group: group, name: "remote dashboard start to first frame (counts, newest items), \(dashboardItems) items",
                                          unit: "ms", median: firstFrame.milliseconds, goal: "< 1000", met: firstFrame.milliseconds < 1000))
        report.results.append(BenchResult(group: group, name: "remote dashboard start to every item loaded, \(dashboardItems) items", unit: "ms",
                                          median: fullFrame.milliseconds))
        terminal.type("q")
        _ = await terminal.wait(timeout: .seconds(10))

        // The server's memory with 8 idle agents (each in its long poll, heartbeating) and 4 dashboards following changes.
        var attached: [Process] = []
        for index in 0..<8 {
            attached.append(try startProcess(["agent", "--queue", "bench", "--max-jobs", "1", "--name", "idle-\(index)"],
                                             environment: server.environment(home: root.appendingPathComponent("idle-\(index)")),
                                             log: root.appendingPathComponent("idle-\(index).err")))
        }
        defer { for process in attached { process.terminate(); process.waitUntilExit() } }
        let followers = Task {
            try await withThrowingDiscardingTaskGroup { group in
                for _ in 0..<4 {
                    let follower = try server.client()
                    group.addTask {
                        var cursor = try await follower.changes(since: 0, includingItems: false).cursor
                        while !Task.isCancelled {
                            cursor = try await follower.changes(since: cursor, includingItems: true, waitingUpTo: .seconds(5)).cursor
                        }
                    }
                }
            }
        }
        try await Task.sleep(for: .seconds(8))
        let rss = server.rssMiB
        followers.cancel()
        report.results.append(BenchResult(group: group, name: "server RSS, 8 agents and 4 dashboards attached, \(dashboardItems + 15_000) items stored",
                                          unit: "MiB", median: rss))
    }

    static func startProcess(_ arguments: [String], environment: [String: String], log: URL) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        return process
    }

    static func leaseWorkers(_ count: Int, queue: String, server: Server, root: URL) async throws -> [String] {
        var running: [(Process, URL)] = []
        for worker in 0..<count {
            let output = root.appendingPathComponent("\(queue)-worker-\(worker).out")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let process = Process()
            process.executableURL = executable
            process.arguments = ["debug", "lease-worker", "--agent", "bench-\(queue)-\(worker)", "--queue", queue, "--idle-rounds", "2"]
            process.environment = server.environment(home: root.appendingPathComponent("\(queue)-worker-\(worker)"))
            process.standardOutput = try FileHandle(forWritingTo: output)
            try process.run()
            running.append((process, output))
        }
        var ids: [String] = []
        for (process, output) in running {
            await process.exitedWithoutBlocking()
            ids += try String(contentsOf: output, encoding: .utf8).split(separator: "\n").map(String.init)
        }
        return ids
    }
}

extension Process {
    /// Waits for the process without holding a thread of the cooperative pool.
    func exitedWithoutBlocking() async {
        while isRunning { try? await Task.sleep(for: .milliseconds(10)) }
    }
}
