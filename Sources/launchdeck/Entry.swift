import ArgumentParser
import Foundation
import LaunchModel
import LaunchStore

/// Runs the command line and turns every error into one clear message and an exit code:
/// 0 success, 2 bad input (arguments, names, configurations), 1 anything else. Never a stack trace.
@main
enum Entry {
    static func main() async {
        // A closed pipe (`launchdeck items | head`) must end the output quietly, not kill the process mid-write.
        signal(SIGPIPE, SIG_IGN)
        // What LaunchDeck writes (the store, work directories, edit files, logs) is this user's alone; jobs get the
        // umask the process was started with back (the guard's --umask).
        PrivateFiles.restrictUmask()
        do {
            var command = try Launchdeck.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(report(error))
        }
    }

    static func report(_ error: Error) -> Int32 {
        switch error {
        case let failure as ValidationFailure:
            for issue in failure.issues { printError(issue.formatted(source: failure.source)) }
            return 2
        case let issue as ValidationIssue:
            printError(issue.description)
            return 2
        case let launchError as LaunchError:
            printError("launchdeck: \(launchError)")
            // 2 for what the user can fix in the command; 1 for a store that could not do it.
            return [.unavailable, .readOnly, .storage].contains(launchError.kind) ? 1 : 2
        case let exit as CommandExit:
            if let message = exit.message { printError("launchdeck: \(message)") }
            return exit.code
        case let artifact as ArtifactError:
            printError("launchdeck: \(artifact)")
            return 1
        default:
            let code = Launchdeck.exitCode(for: error)
            if code == .success {
                // --help and --version
                print(Launchdeck.fullMessage(for: error))
                return 0
            }
            let message = Launchdeck.message(for: error)
            if code == .validationFailure || String(describing: type(of: error)).contains("CommandError") {
                let firstLine = message.split(separator: "\n").first.map(String.init) ?? message
                printError("launchdeck: \(firstLine.replacingOccurrences(of: "Error: ", with: "")) (see launchdeck --help)")
                return 2
            }
            let text = message.isEmpty ? String(describing: error) : message
            printError("launchdeck: \(text.split(separator: "\n").first.map(String.init) ?? text)")
            return 1
        }
    }
}

/// Ends a command with a chosen exit code and message.
struct CommandExit: Error {
    var code: Int32
    var message: String?
}

/// One line per call: a newline inside the message (a name or value the user gave) is shown escaped like any
/// other control character, so each error stays one line that says what and where.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message.escapedForMessage + "\n").utf8))
}
