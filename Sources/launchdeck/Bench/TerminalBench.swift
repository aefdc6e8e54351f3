import Foundation
import LaunchModel
import LaunchStore

/// The real dashboard process in a pseudo-terminal, on a queue of many items: how long until the first full
/// frame, how many bytes an idle refresh sends to the terminal, and the process's peak memory.
enum TerminalBench {
    static func run(root: URL, into report: inout BenchReport, items count: Int) async throws {
        let group = "dashboard"
        let (backend, directory) = try await AgentBench.setUp(root, "terminal", entrypoint: ["true"])
        // The big queue was filled yesterday, as a queue of that size would be; a small one just now, so its
        // ages still count seconds.
        let yesterday = try SQLiteBackend(path: directory.databaseURL.path, clock: { Date().addingTimeInterval(-86_400) })
        for start in stride(from: 0, to: count, by: 1000) {
            _ = try await yesterday.enqueue(batch: Array(repeating: StoreBench.request, count: min(1000, count - start)))
        }
        _ = try await backend.createQueue(name: "fresh", target: .localProcess, config: try QueueConfig.parse("", target: .localProcess))
        var freshRequest = StoreBench.request
        freshRequest.queue = "fresh"
        _ = try await backend.enqueue(batch: Array(repeating: freshRequest, count: 60))
        let refresh = 2.0
        var environment = ProcessInfo.processInfo.environment
        environment["LAUNCHDECK_HOME"] = directory.url.path
        environment["TERM"] = "xterm-256color"
        environment["LINES"] = nil
        environment["COLUMNS"] = nil
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let terminal = try PseudoTerminal(argv: [executable, "--no-agent", "--refresh", String(refresh)],
                                          environment: environment, columns: 160, rows: 48)
        // ncurses moves the cursor over blanks and what did not change, so only text without spaces arrives in one
        // piece, and "(100000)" after the first frame's "(newest 200 of 100000, loading)" without its "(".
        guard let firstFrame = try await terminal.waitFor("\(count))", timeout: .seconds(60)) else {
            _ = await terminal.wait(timeout: .seconds(1))
            let seen = terminal.output.suffix(300).debugDescription
            throw CommandExit(code: 1, message: "bench: the dashboard showed no frame with \(count) items within 60 s; it wrote \(seen)")
        }
        report.results.append(BenchResult(group: group, name: "dashboard process start to first full frame, \(count) items, 160x48",
                                          unit: "ms", median: firstFrame.milliseconds))

        // Idle: nothing changes in the backend, the dashboard keeps polling every `refresh` seconds.
        try await Task.sleep(for: .seconds(refresh * 1.5))
        let settled = try await bytesPerRefresh(terminal, refresh: refresh)
        report.results.append(BenchResult(group: group, name: "bytes to the terminal per idle refresh, items a day old", unit: "bytes",
                                          median: settled.median, p99: settled.p99, goal: "< 100", met: settled.p99 < 100))
        terminal.type("j")
        guard try await terminal.waitFor("(60)", timeout: .seconds(10)) != nil else {
            throw CommandExit(code: 1, message: "bench: the dashboard did not move to the queue fresh")
        }
        try await Task.sleep(for: .seconds(refresh * 1.5))
        let young = try await bytesPerRefresh(terminal, refresh: refresh)
        report.results.append(BenchResult(group: group, name: "bytes to the terminal per idle refresh, items under 2 min old", unit: "bytes",
                                          median: young.median, p99: young.p99,
                                          note: "ages under 2 minutes count seconds, so every visible row's age is redrawn"))
        let rss = terminal.peakRSSMiB
        report.results.append(BenchResult(group: group, name: "dashboard process peak RSS, \(count) items", unit: "MiB", median: rss,
                                          goal: "< 80", met: rss < 80))
        terminal.type("q")
        let status = await terminal.wait(timeout: .seconds(10))
        if status != 0 {
            report.results.append(BenchResult(group: group, name: "dashboard exit", unit: "-", median: .nan, note: "exited \(status) on q"))
        }
    }
}

extension TerminalBench {
    /// Bytes sent in each of several refresh periods.
    static func bytesPerRefresh(_ terminal: PseudoTerminal, refresh: Double, periods: Int = 5) async throws -> Samples {
        var samples = Samples()
        for _ in 0..<periods {
            let before = terminal.totalBytes
            try await Task.sleep(for: .seconds(refresh))
            samples.add(Double(terminal.totalBytes - before))
        }
        return samples
    }
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
