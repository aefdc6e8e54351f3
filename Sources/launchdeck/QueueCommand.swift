import ArgumentParser
import DeckUI
import Foundation
import LaunchModel
import LaunchStore

struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Create, configure and inspect queues.",
        subcommands: [QueueCreate.self, QueueList.self, QueueDescribe.self, QueueEdit.self, QueueSetConfig.self,
                      QueuePause.self, QueueResume.self, QueueSchema.self])
}

struct QueueCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a queue bound to a target.")
    @Argument(help: "Queue name ([a-z0-9][a-z0-9-_.]{0,62}).") var name: String
    @Option(help: "Target: local-process, container, slurm or kubernetes.") var target: String
    @Option(help: "Queue configuration file (YAML or JSON); default: the target's starter configuration.") var config: String?
    @OptionGroup var output: OutputOptions

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let kind = try TargetKind.parse(target)
        try Names.validateQueueName(name)
        let parsed: QueueConfig
        if let config {
            parsed = try QueueConfig.parse(try ConfigFile.read(config), target: kind, source: config)
        } else {
            parsed = try QueueConfig.parse(QueueConfig.defaultText(for: kind), target: kind)
        }
        let queue = try await CommandContext.open(connection).backend.createQueue(name: name, target: kind, config: parsed)
        try output.emit(json: QueueRecord(queue, depth: QueueDepth())) { "created queue \(queue.name) (\(queue.target))\n" }
    }
}

struct QueueList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List queues with their depth by state.")
    @OptionGroup var output: OutputOptions

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let backend = try await CommandContext.open(connection).backend
        let queues = try await backend.queues()
        let depths = try await backend.queueDepths()
        try output.emit(json: queues.map { QueueRecord($0, depth: depths[$0.name] ?? QueueDepth()) }) {
            var table = TextTable("NAME", "TARGET", "QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "PAUSED", "VARIABLES")
            for queue in queues {
                let depth = depths[queue.name] ?? QueueDepth()
                table.add(queue.name, queue.target.rawValue, String(depth.waiting), String(depth.inFlight), String(depth[.succeeded]),
                          String(depth[.failed]), String(depth[.cancelled]), queue.paused ? "yes" : "no",
                          queue.config.variables.map(\.name).joined(separator: ","))
            }
            return table.render()
        }
    }
}

struct QueueDescribe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "describe", abstract: "Show a queue, its variables and configuration.")
    @Argument var name: String
    @OptionGroup var output: OutputOptions

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let backend = try await CommandContext.open(connection).backend
        let queue = try await backend.queue(named: name)
        let depth = try await backend.queueDepths()[name] ?? QueueDepth()
        try output.emit(json: QueueRecord(queue, depth: depth)) {
            var lines = [
                "Queue:         \(queue.name)",
                "Target:        \(queue.target)",
                "Paused:        \(queue.paused ? "yes" : "no")",
                "Created:       \(LocalTime.format(queue.createdAt))",
                "Max attempts:  \(queue.config.maxAttempts)",
                "Depth:         " + ItemState.allCases.map { "\($0) \(depth[$0])" }.joined(separator: ", "),
                "Variables:",
            ]
            if queue.config.variables.isEmpty { lines.append("  (none)") }
            for variable in queue.config.variables {
                let defaultText = variable.shownDefault.map { " default \($0.displayText)" } ?? " required"
                lines.append("  \(variable.name): \(variable.boundsText)\(defaultText)\(variable.description.isEmpty ? "" : "  # \(variable.description)")")
            }
            lines.append("Configuration:")
            lines.append(contentsOf: queue.config.redactedText.split(separator: "\n", omittingEmptySubsequences: false).map { "  \($0)" })
            return lines.map(TerminalTextSafety.inert).joined(separator: "\n") + "\n"
        }
    }
}

struct QueueSetConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set-config", abstract: "Replace a queue's configuration from a file.")
    @Argument var name: String
    @Argument(help: "YAML or JSON file.") var file: String

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let backend = try await CommandContext.open(connection).backend
        let queue = try await backend.queue(named: name)
        let config = try QueueConfig.parse(try ConfigFile.read(file), target: queue.target, source: file)
        _ = try await backend.updateQueueConfig(name: name, config: config, expectedVersion: nil)
        print("queue \(name): configuration updated")
    }
}

struct QueuePause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Stop agents from leasing this queue's items.")
    @Argument var name: String
    @OptionGroup var connection: BackendOptions

    func run() async throws {
        _ = try await CommandContext.open(connection).backend.setQueuePaused(name: name, paused: true)
        print("queue \(name): paused")
    }
}

struct QueueResume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Let agents lease this queue's items again.")
    @Argument var name: String
    @OptionGroup var connection: BackendOptions

    func run() async throws {
        _ = try await CommandContext.open(connection).backend.setQueuePaused(name: name, paused: false)
        print("queue \(name): resumed")
    }
}

struct QueueSchema: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "schema", abstract: "Print a target's queue-configuration JSON Schema.")
    @Option(help: "Target: local-process, container, slurm or kubernetes.") var target: String

    func run() async throws {
        print(try JSONOutput.encode(QueueConfigJSONSchema.document(for: try TargetKind.parse(target))))
    }
}

/// Reads a user's configuration file with a clear error when it cannot.
enum ConfigFile {
    /// Configurations are small; a bigger file (or /dev/zero) is refused before it is read whole.
    static let maxBytes = 1 << 20

    static func read(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw LaunchError.invalidInput("\(path): cannot read file")
        }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: maxBytes + 1) ?? Data() else {
            throw LaunchError.invalidInput("\(path): cannot read file")
        }
        guard data.count <= maxBytes else {
            throw LaunchError.invalidInput("\(path): larger than \(maxBytes) bytes (1 MiB), the limit for a configuration")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw LaunchError.invalidInput("\(path): not UTF-8 text")
        }
        return text
    }
}
