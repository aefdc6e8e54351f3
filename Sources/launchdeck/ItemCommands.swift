import ArgumentParser
import DeckUI
import Foundation
import LaunchModel
import LaunchStore

struct EnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue", abstract: "Put a run of a job on a queue; prints the item id.",
        discussion: """
            --sweep and --count enqueue many runs in one transaction (all or none) and print one id per line \
            (with --output json, an array). --sweep lr=0.1,0.01 --sweep batch=32,64 makes four runs, the last \
            axis varying fastest; --count 3 runs each combination three times (each run has its own \
            LAUNCHDECK_ITEM_ID, e.g. for a seed).
            """)
    /// One command, one transaction: large enough for any grid a person types, small enough to stay a quick write.
    static let maximumItems = 10_000

    @Argument(help: "JOB[:VERSION] (default latest).") var job: String
    @Option(help: "Queue name.") var queue: String
    @Option(help: "critical, high, normal or low.") var priority: String = "normal"
    @Option(name: .customLong("set"), help: "Template variable VAR=VALUE (repeatable), checked against the queue's declarations.") var variables: [String] = []
    @Option(name: .customLong("config"), help: "Hyperparameter override KEY=VALUE (repeatable).") var config: [String] = []
    @Option(help: "Hyperparameter values to sweep, KEY=V1,V2,... (repeatable): one run per combination.") var sweep: [String] = []
    @Option(parsing: .unconditional, help: "Runs of each combination (1-\(EnqueueCommand.maximumItems)).") var count: Int = 1
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let hyperparameters = try KeyValueArguments.parseTyped(config, option: "--config")
        let grid = try Self.parseSweep(sweep, fixed: hyperparameters)
        guard (1...Self.maximumItems).contains(count) else {
            throw LaunchError.invalidInput("--count: must be 1 to \(Self.maximumItems), got \(count)")
        }
        let total = grid.count.multipliedReportingOverflow(by: count)
        guard !total.overflow, total.partialValue <= Self.maximumItems else {
            throw LaunchError.invalidInput("--sweep/--count: \(grid.count) combinations x \(count) runs is more than \(Self.maximumItems) items in one command")
        }
        let base = EnqueueRequest(
            job: try JobReference(parsing: job), queue: queue, priority: try Priority.parse(priority),
            variables: try KeyValueArguments.parse(variables, option: "--set"), hyperparameters: hyperparameters)
        let requests = grid.combinations.flatMap { combination in
            var request = base
            request.hyperparameters.merge(combination) { _, swept in swept }
            return Array(repeating: request, count: count)
        }
        let backend = try CommandContext.open().backend
        do {
            if requests.count == 1 && sweep.isEmpty {
                let item = try await backend.enqueue(requests[0])
                try output.emit(json: ItemRecord(item)) { item.id + "\n" }
            } else {
                let items = try await backend.enqueue(batch: requests)
                try output.emit(json: items.map { ItemRecord($0) }) { items.map { $0.id + "\n" }.joined() }
            }
        } catch let failure as ValidationFailure {
            // Variable problems name the variable; say they came from --set.
            throw ValidationFailure(failure.issues.map { ValidationIssue(path: "--set \($0.path)", message: $0.message) })
        }
    }

    /// `KEY=V1,V2` options as sweep axes, values typed as --config types them.
    static func parseSweep(_ options: [String], fixed: [String: JSONValue]) throws -> HyperparameterSweep {
        var axes: [HyperparameterSweep.Axis] = []
        var issues: [ValidationIssue] = []
        for (key, list) in try KeyValueArguments.pairs(options, option: "--sweep") {
            let values = list.split(separator: ",", omittingEmptySubsequences: false).map { JSONValue.parseLiteral(String($0)) }
            if list.isEmpty || list.split(separator: ",", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
                issues.append(ValidationIssue(path: "--sweep \(key)", message: "expected KEY=V1,V2,... with no empty value, got \"\(list.escapedForMessage)\""))
            } else if fixed[key] != nil {
                issues.append(ValidationIssue(path: "--sweep \(key)", message: "also given with --config; give it one way"))
            } else {
                axes.append(HyperparameterSweep.Axis(key: key, values: values))
            }
        }
        if !issues.isEmpty { throw ValidationFailure(issues) }
        return HyperparameterSweep(axes: axes)
    }
}

struct ItemsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "items", abstract: "List launch items.")
    @Option(help: "Only this queue.") var queue: String?
    @Option(help: "Only these states (comma separated).") var state: String?
    @Option(parsing: .unconditional, help: "At most this many, newest.") var limit: Int?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        var states: Set<ItemState>?
        if let state {
            // Empty parts kept: `--state ""` listed every item, as if no filter had been given.
            states = Set(try state.split(separator: ",", omittingEmptySubsequences: false).map { text in
                guard let parsed = ItemState(rawValue: String(text)) else {
                    throw LaunchError.invalidInput("--state: unknown state \"\(String(text).escapedForMessage)\" (use \(ItemState.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                return parsed
            })
        }
        if let limit, limit < 1 { throw LaunchError.invalidInput("--limit: must be at least 1, got \(limit)") }
        let items = try await CommandContext.open().backend.items(ItemFilter(queue: queue, states: states, limit: limit))
        try output.emit(json: items.map { ItemRecord($0) }) {
            var table = TextTable("ID", "QUEUE", "JOB", "PRIORITY", "STATE", "ATTEMPTS", "AGENT", "AGE", "EXIT")
            for item in items {
                table.add(item.id, item.queue, item.jobReference, item.priority.rawValue, item.state.rawValue,
                          "\(item.attempts)/\(item.maxAttempts)", item.agentID ?? "-", Durations.age(item.timestamps.enqueued),
                          item.exitCode.map(String.init) ?? "-")
            }
            return table.render()
        }
    }
}

struct ItemCommand: AsyncParsableCommand {
    // `launchdeck item ID` is what people type first; it describes, as `item describe ID` does.
    static let configuration = CommandConfiguration(commandName: "item", abstract: "Inspect one launch item.",
                                                    subcommands: [ItemDescribe.self], defaultSubcommand: ItemDescribe.self)
}

struct ItemDescribe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "describe", abstract: "Show an item with its progress and logs.")
    @Argument(help: "Item id or a unique prefix of it.") var id: String
    @Option(parsing: .unconditional, help: "Log lines to show, newest (0 for none).") var tail: Int = 200
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard tail >= 0 else { throw LaunchError.invalidInput("--tail: must be 0 or more, got \(tail)") }
        let backend = try CommandContext.open().backend
        let item = try await backend.item(id: id)
        let logs = tail == 0 ? [] : try await backend.logs(itemID: item.id, tail: tail)
        try output.emit(json: ItemRecord(item, logs: logs)) { Self.describe(item, logs: logs) }
    }

    static func describe(_ item: LaunchItem, logs: [LogLine]) -> String {
        var lines = [
            "Item:          \(item.id)",
            "Queue:         \(item.queue)",
            "Job:           \(item.jobReference)",
            "Priority:      \(item.priority)",
            "State:         \(item.state)" + (item.exitCode.map { " (exit \($0))" } ?? ""),
            "Attempts:      \(item.attempts) of \(item.maxAttempts)",
            "Agent:         \(item.agentID ?? "-")",
            "Enqueued:      \(item.timestamps.enqueued.formatted(.iso8601))",
        ]
        for (label, date) in [("Leased:", item.timestamps.leased), ("Building:", item.timestamps.building),
                              ("Running:", item.timestamps.running), ("Finished:", item.timestamps.finished)] {
            if let date { lines.append(label.padding(toLength: 15, withPad: " ", startingAt: 0) + date.formatted(.iso8601)) }
        }
        if let relaunchOf = item.relaunchOf { lines.append("Relaunch of:   \(relaunchOf)") }
        if let error = item.error { lines.append("Error:         \(error)") }
        if let progress = item.progress {
            lines.append("Progress:      \(progress.summary)")
        }
        let variables = SecretRedactor.redact(item.overrides.variables)
        if !variables.isEmpty {
            lines.append("Variables:     " + variables.keys.sorted().map { "\($0)=\(variables[$0]!.displayText)" }.joined(separator: " "))
        }
        let overrides = SecretRedactor.redact(item.overrides.hyperparameters)
        if !overrides.isEmpty {
            lines.append("Overrides:     " + overrides.keys.sorted().map { "\($0)=\(overrides[$0]!.displayText)" }.joined(separator: " "))
        }
        lines = lines.map(TerminalTextSafety.inert)
        lines.append("Logs:" + (item.droppedLogLines > 0 ? " (\(item.droppedLogLines) older lines dropped)" : ""))
        if logs.isEmpty { lines.append("  (none)") }
        for line in logs {
            lines.append("  \(line.stream.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) \(TerminalTextSafety.inert(line.text))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a queued or running item.")
    @Argument(help: "Item id or a unique prefix of it.") var id: String

    func run() async throws {
        let item = try await CommandContext.open().backend.cancel(itemID: id)
        print("item \(item.id): cancelled")
    }
}

struct RelaunchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "relaunch", abstract: "Enqueue a copy of an item; prints the new id.")
    @Argument(help: "Item id or a unique prefix of it.") var id: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let item = try await CommandContext.open().backend.relaunch(itemID: id)
        try output.emit(json: ItemRecord(item)) { item.id + "\n" }
    }
}
