import ArgumentParser
import DeckUI
import Foundation
import LaunchModel
import LaunchStore

/// `launchdeck logs ID`: an item's logs, inert as the dashboard shows them; `--follow` keeps printing while it runs.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print an item's logs; --follow keeps printing while it runs.")
    @Argument(help: "Item id, or any unique prefix or suffix of it (4 characters or more).") var id: String
    @Flag(name: [.short, .long], help: "Keep printing new lines until the item has finished.") var follow = false
    @Option(help: "Only this stream: build, stdout, stderr or agent.") var stream: String?
    @Option(parsing: .unconditional, help: "Seconds between reads while following.") var interval: Double = 0.5

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let only = try stream.map { name -> LogStream in
            guard let parsed = LogStream(rawValue: name) else {
                throw LaunchError.invalidInput("--stream: unknown stream \"\(name.escapedForMessage)\" (use \(LogStream.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return parsed
        }
        guard (0.05...60).contains(interval) else { throw LaunchError.invalidInput("--interval: must be 0.05 to 60 seconds, got \(interval)") }
        let backend = try await CommandContext.open(connection).backend
        let item = try await backend.item(id: id)
        var last: Int64 = 0
        while true {
            let lines = try await backend.logs(itemID: item.id, after: last, tail: 10_000)
            var text = ""
            for line in lines where only == nil || line.stream == only {
                text += only == nil ? "\(line.stream.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) " : ""
                text += TerminalTextSafety.inert(line.text) + "\n"
            }
            if !text.isEmpty { FileHandle.standardOutput.write(Data(text.utf8)) }
            last = lines.last?.sequence ?? last
            guard follow else { return }
            // Once finished, one more read takes what came with the final state.
            if try await backend.item(id: item.id).state.isFinal {
                let rest = try await backend.logs(itemID: item.id, after: last, tail: 10_000)
                if rest.isEmpty { return }
                continue
            }
            try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
        }
    }
}
