import ArgumentParser
import Foundation
import LaunchModel
import LaunchStore

struct QueueEdit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit", abstract: "Edit a queue's configuration in $VISUAL or $EDITOR.",
        discussion: "Saved text is validated; on errors the editor reopens with them on top of your text. Save it unchanged to give up.")
    @Argument var name: String

    @OptionGroup var connection: BackendOptions

    func run() async throws {
        let backend = try await CommandContext.open(connection).backend
        let queue = try await backend.queue(named: name)
        let editor = try EditorCommand.fromEnvironment()
        let file = try RuntimeDirectory.resolve(for: DataDirectory.resolve()).privateFile(prefix: "queue-\(queue.name)", extension: "yaml")
        var session = ConfigEditSession(target: queue.target, original: queue.config.text, baseVersion: queue.configVersion)
        while true {
            try Data(session.fileContents.utf8).write(to: file)
            try editor.edit(file)
            let text = try ConfigFile.read(file.path)
            switch session.submit(text, source: file.path) {
            case .unchanged:
                try? FileManager.default.removeItem(at: file)
                print("queue \(queue.name): no changes")
                return
            case .saved(let config):
                do {
                    _ = try await backend.updateQueueConfig(name: queue.name, config: config, expectedVersion: session.baseVersion)
                } catch LaunchError.conflict {
                    // Two edits at once: the later save must not throw the earlier one away, nor its own text.
                    let current = try await backend.queue(named: queue.name)
                    session.conflicted(text, currentText: current.config.text, currentVersion: current.configVersion)
                    printError("launchdeck: queue \(queue.name): not saved: someone else saved its configuration meanwhile; reopening the editor with your text and theirs")
                    continue
                } catch let error as LaunchError where [.unavailable, .readOnly, .storage].contains(error.kind) {
                    // Disk full or read-only: the text was valid, so keep it where the user can find it.
                    session.storeFailed(text, reason: error.description)
                    // The editor already saved the text there; the header is a courtesy that may not fit a full disk.
                    try? Data(session.fileContents.utf8).write(to: file)
                    throw CommandExit(code: 1, message: "queue \(queue.name): not saved: \(error); your text is kept in \(file.path)")
                }
                try? FileManager.default.removeItem(at: file)
                print("queue \(queue.name): configuration updated")
                return
            case .invalid:
                for issue in session.issuesInFile { printError(issue.formatted(source: file.path)) }
                printError("launchdeck: configuration not saved; reopening the editor")
            case .abandoned(let text):
                try Data(text.utf8).write(to: file)
                throw CommandExit(code: 1, message: "queue \(queue.name): edit abandoned, configuration unchanged; your text is kept in \(file.path)")
            }
        }
    }
}

/// The user's editor, split into argv (`code --wait` works) and run without a shell.
struct EditorCommand {
    var argv: [String]

    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> EditorCommand {
        let raw = [environment["VISUAL"], environment["EDITOR"]].compactMap { $0 }.first { !$0.isEmpty } ?? "vi"
        let argv = try ArgvSplitter.split(raw)
        guard !argv.isEmpty else { throw LaunchError.invalidInput("$EDITOR is empty") }
        return EditorCommand(argv: argv)
    }

    func edit(_ file: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv + [file.path]
        do {
            try process.run()
        } catch {
            throw CommandExit(code: 1, message: "cannot start editor \(argv[0]): \(error.localizedDescription)")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandExit(code: 1, message: "editor \(argv[0]) exited with status \(process.terminationStatus); configuration unchanged (your text is in \(file.path))")
        }
    }
}
