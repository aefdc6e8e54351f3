import ArgumentParser
import DeckUI
import Foundation
import LaunchAPI
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

    @OptionGroup var connection: BackendOptions

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
        let backend = try await CommandContext.open(connection).backend
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

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let states = try state.map(ItemStates.parse)
        if let limit, limit < 1 { throw LaunchError.invalidInput("--limit: must be at least 1, got \(limit)") }
        let items = try await CommandContext.open(connection).backend.items(ItemFilter(queue: queue, states: states, limit: limit))
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

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        guard tail >= 0 else { throw LaunchError.invalidInput("--tail: must be 0 or more, got \(tail)") }
        let backend = try await CommandContext.open(connection).backend
        let item = try await backend.item(id: id)
        let all = try await backend.logs(itemID: item.id, tail: nil)
        let logs = tail == 0 ? [] : Array(all.suffix(tail))
        let relaunches = try await backend.relaunches(of: item.id).map(\.id)
        let waiting = item.state == .queued ? try await Self.waiting(item, backend) : nil
        try output.emit(json: ItemRecord(item, logs: logs)) {
            Self.describe(item, logs: logs, attempts: AttemptLog.entries(in: all), relaunchedAs: relaunches, waiting: waiting)
        }
    }

    /// Why a queued item has not started, when it is not just its turn: its queue is paused, or no live agent serves it.
    static func waiting(_ item: LaunchItem, _ backend: any LaunchBackend) async throws -> String? {
        let queue = try await backend.queue(named: item.queue)
        if queue.paused { return "queue \(queue.name) is paused: nothing starts until it is resumed (launchdeck queue resume \(queue.name))" }
        let serving = try await backend.agents().filter { ($0.state == .idle || $0.state == .busy) && $0.queues.contains(queue.name) }
        return serving.isEmpty ? "no live agent serves \(queue.name): start one with launchdeck agent --queue \(queue.name)" : nil
    }

    static func describe(_ item: LaunchItem, logs: [LogLine], attempts: [AttemptLog.Entry] = [], relaunchedAs: [String] = [],
                         waiting: String? = nil) -> String {
        var lines = [
            "Item:          \(item.id)",
            "Queue:         \(item.queue)",
            "Job:           \(item.jobReference)",
            "Priority:      \(item.priority)",
            "State:         \(item.state)" + (item.exitCode.map { " (exit \($0))" } ?? ""),
            "Attempts:      \(item.attempts) of \(item.maxAttempts)",
            "Agent:         \(item.agentID ?? "-")",
            "Enqueued:      \(LocalTime.format(item.timestamps.enqueued))",
        ]
        for (label, date) in [("Leased:", item.timestamps.leased), ("Building:", item.timestamps.building),
                              ("Running:", item.timestamps.running), ("Finished:", item.timestamps.finished)] {
            if let date { lines.append(label.padding(toLength: 15, withPad: " ", startingAt: 0) + LocalTime.format(date)) }
        }
        if let waiting { lines.append("Waiting:       \(waiting)") }
        if let relaunchOf = item.relaunchOf { lines.append("Relaunch of:   \(relaunchOf)") }
        if !relaunchedAs.isEmpty { lines.append("Relaunched as: \(relaunchedAs.joined(separator: ", "))") }
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
        if !attempts.isEmpty {
            lines.append("Attempt list:")
            for attempt in attempts {
                lines.append("  \(attempt.number)  \(LocalTime.format(attempt.at))  agent \(attempt.agent) on \(attempt.host)"
                             + (attempt.outcome.map { "  \($0)" } ?? ""))
            }
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

/// The items a command acts on: ids (any unique prefix or suffix of 4 characters or more), or a selection by queue and
/// state; not both.
struct ItemSelection: ParsableArguments {
    @Argument(help: "Item ids, or any unique prefix or suffix of them (4 characters or more).") var ids: [String] = []
    @Option(help: "Every item of this queue (with --state).") var queue: String?
    @Option(help: "Only items in these states (comma separated).") var state: String?

    func items(_ backend: any LaunchBackend, defaultStates: Set<ItemState>) async throws -> [String] {
        if !ids.isEmpty {
            guard queue == nil, state == nil else { throw LaunchError.invalidInput("give item ids, or --queue and --state, not both") }
            return ids
        }
        guard queue != nil || state != nil else { throw LaunchError.invalidInput("give item ids, or --queue and/or --state to choose items") }
        let states = try state.map(ItemStates.parse) ?? defaultStates
        return try await backend.items(ItemFilter(queue: queue, states: states)).map(\.id)
    }
}

enum ItemStates {
    /// `queued,running`; an empty part is an error, not "every state".
    static func parse(_ text: String) throws -> Set<ItemState> {
        Set(try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            guard let parsed = ItemState(rawValue: String(part)) else {
                throw LaunchError.invalidInput("--state: unknown state \"\(String(part).escapedForMessage)\" (use \(ItemState.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return parsed
        })
    }
}

/// Acts on each item in turn, saying what became of each; one that cannot be acted on is said and the rest go on.
private func eachItem(_ ids: [String], _ body: (String) async throws -> String) async throws {
    // One item: its error is the command's, as it always was.
    if ids.count == 1 {
        print(try await body(ids[0]))
        return
    }
    var failures = 0
    for id in ids {
        do {
            print(try await body(id))
        } catch {
            failures += 1
            printError("launchdeck: \(id): \(error)")
        }
    }
    if failures > 0 { throw CommandExit(code: 1, message: "\(failures) of \(ids.count) items failed") }
}

struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel queued or running items.",
        discussion: "launchdeck cancel ID... or launchdeck cancel --queue gpu --state queued,running (default: every unfinished state).")
    @OptionGroup var selection: ItemSelection

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let backend = try await CommandContext.open(connection).backend
        let ids = try await selection.items(backend, defaultStates: [.queued, .leased, .building, .running])
        if ids.isEmpty { print("no items match") }
        try await eachItem(ids) { id in "item \(try await backend.cancel(itemID: id).id): cancelled" }
    }
}

struct RelaunchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relaunch", abstract: "Enqueue copies of items; prints the new ids.",
        discussion: "launchdeck relaunch ID... or launchdeck relaunch --queue gpu --state failed (the default state).")
    @OptionGroup var selection: ItemSelection
    @OptionGroup var output: OutputOptions

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let backend = try await CommandContext.open(connection).backend
        let ids = try await selection.items(backend, defaultStates: [.failed])
        if output.output == .json {
            var items: [LaunchItem] = []
            for id in ids { items.append(try await backend.relaunch(itemID: id)) }
            if ids.count == 1 && !selection.ids.isEmpty { try output.emit(json: ItemRecord(items[0])) { "" } } else {
                try output.emit(json: items.map { ItemRecord($0) }) { "" }
            }
            return
        }
        if ids.isEmpty { print("no items match") }
        try await eachItem(ids) { id in try await backend.relaunch(itemID: id).id }
    }
}
