import ArgumentParser
import Foundation
import LaunchModel

/// `launchdeck bench`: measures the store, commands as processes, dispatch, end-to-end throughput, the dashboard and poll cost,
/// in one run on this machine, and prints a table (or JSON). Goals are printed beside the figures; nothing here
/// is a pass/fail test.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Measure LaunchDeck on this machine and print the figures.")

    enum Group: String, ExpressibleByArgument, CaseIterable { case store, cli, agent, dashboard, server, postgres }
    enum Format: String, ExpressibleByArgument { case table, json }

    @Option(name: [.short, .long], help: "table or json.") var output: Format = .table
    @Option(help: "Only these groups (repeatable): store, cli, agent, dashboard, server, postgres.") var only: [Group] = []
    @Option(help: "Items for the dispatch latency run.") var dispatchItems: Int = 200
    @Option(help: "Items for the end-to-end run.") var endToEndItems: Int = 500
    @Option(help: "Items in the dashboard's queue.") var dashboardItems: Int = 100_000
    @Option(help: "Lines per second the chatty job prints while the log view follows it.") var logLinesPerSecond: Int = 10_000
    @Option(help: "Seconds the chatty job prints.") var logSeconds: Int = 5
    @Option(help: ArgumentHelp("The PostgreSQL server of the postgres group (a scratch database is made there and dropped): postgres://USER@HOST:PORT/DB.",
                               valueName: "url")) var postgres: String?
    @Option(help: ArgumentHelp("Its password, in a file only its owner reads (or PGPASSWORD).", valueName: "file")) var postgresPasswordFile: String?
    @Option(help: "Items in the table the postgres group's changes(since:) reads.") var postgresRows: Int = 1_000_000

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
        // The postgres group needs a server to point at; without one, a full run leaves it out.
        let groups = only.isEmpty ? Group.allCases.filter { $0 != .postgres || postgres != nil } : only
        if groups.contains(.postgres) && postgres == nil {
            throw ValidationFailure([ValidationIssue(path: "--postgres", message: "the postgres group needs --postgres URL (scripts/postgres-local status prints one)")])
        }
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
        if groups.contains(.postgres), let postgres {
            try await PostgresBench.run(into: &report, url: postgres, passwordFile: postgresPasswordFile, rows: postgresRows)
        }
        switch output {
        case .table: print(report.table)
        case .json: print(try JSONOutput.encode(report))
        }
    }
}
