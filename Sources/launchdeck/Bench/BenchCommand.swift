import ArgumentParser
import Foundation

/// `launchdeck bench`: measures the store, commands as processes, dispatch, end-to-end throughput, the dashboard and poll cost,
/// in one run on this machine, and prints a table (or JSON). Goals are printed beside the figures; nothing here
/// is a pass/fail test.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Measure LaunchDeck on this machine and print the figures.")

    enum Group: String, ExpressibleByArgument, CaseIterable { case store, cli, agent, dashboard, server }
    enum Format: String, ExpressibleByArgument { case table, json }

    @Option(name: [.short, .long], help: "table or json.") var output: Format = .table
    @Option(help: "Only these groups (repeatable): store, cli, agent, dashboard, server.") var only: [Group] = []
    @Option(help: "Items for the dispatch latency run.") var dispatchItems: Int = 200
    @Option(help: "Items for the end-to-end run.") var endToEndItems: Int = 500
    @Option(help: "Items in the dashboard's queue.") var dashboardItems: Int = 100_000
    @Option(help: "Lines per second the chatty job prints while the log view follows it.") var logLinesPerSecond: Int = 10_000
    @Option(help: "Seconds the chatty job prints.") var logSeconds: Int = 5

    func run() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("launchdeck-bench-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        var report = BenchReport(host: ProcessInfo.processInfo.hostName, cores: ProcessInfo.processInfo.activeProcessorCount,
                                 memoryGiB: Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824, swiftBuild: build)
        let groups = only.isEmpty ? Group.allCases : only
        if groups.contains(.dashboard) { await DashboardBench.run(into: &report, items: dashboardItems) }
        if groups.contains(.dashboard) {
            try await TerminalBench.run(root: root, into: &report, items: dashboardItems)
            try await LogFollowBench.run(root: root, into: &report, linesPerSecond: logLinesPerSecond, seconds: logSeconds)
        }
        if groups.contains(.store) { try await StoreBench.run(root: root, into: &report) }
        if groups.contains(.cli) { try await CommandLineBench.run(root: root, into: &report) }
        if groups.contains(.agent) {
            try await AgentBench.run(root: root, into: &report, dispatchItems: dispatchItems, endToEndItems: endToEndItems)
        }
        if groups.contains(.server) {
            try await ServerBench.run(root: root, into: &report, dispatchItems: dispatchItems / 2, dashboardItems: dashboardItems)
        }
        switch output {
        case .table: print(report.table)
        case .json: print(try JSONOutput.encode(report))
        }
    }
}
