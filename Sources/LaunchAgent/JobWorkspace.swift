import Foundation
import LaunchModel
import LaunchStore

/// Puts a job's code into an item's work directory: a snapshot unpacked, or a git commit checked out.
enum JobWorkspace {
    static func materialize(_ context: RunContext, reporter: any RunReporter, runner: GuardedProcess) async throws {
        let manager = FileManager.default
        // A directory left by an earlier attempt of the same item is stale.
        try? manager.removeItem(at: context.workDirectory)
        try manager.createDirectory(at: context.workDirectory.deletingLastPathComponent(), withIntermediateDirectories: true)
        switch context.job.spec.source {
        case .snapshot(let digest):
            do {
                try context.artifacts.materialize(digest: digest, into: context.workDirectory)
            } catch {
                throw RunError.prepare("cannot unpack the code snapshot \(digest.prefix(19)): \(error)")
            }
            if !manager.fileExists(atPath: context.workDirectory.path) {
                try manager.createDirectory(at: context.workDirectory, withIntermediateDirectories: true)
            }
        case .git(let url, let commit):
            await reporter.log(.build, "git clone \(url) @ \(commit)")
            let environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "GIT_TERMINAL_PROMPT": "0",
                               "HOME": ProcessInfo.processInfo.environment["HOME"] ?? "/"]
            try await runner.step(ProcessSpec(executable: "git", arguments: ["-c", "protocol.ext.allow=never", "clone", "--quiet", "--no-checkout",
                                                                              "--", url, context.workDirectory.path], environment: environment),
                                  reporter: reporter, what: "git clone")
            try await runner.step(ProcessSpec(executable: "git", arguments: ["-C", context.workDirectory.path, "checkout", "--quiet", "--detach", commit],
                                              environment: environment),
                                  reporter: reporter, what: "git checkout \(commit)")
        case .image(let reference):
            throw RunError.unsupported("job \(context.job.reference) is the image \(reference); run image jobs on a container queue")
        }
    }

    /// `launchdeck-config.json` in the work directory: the hyperparameters, as `LAUNCHDECK_CONFIG` holds them.
    static func writeConfigFile(_ context: RunContext) throws {
        let url = context.workDirectory.appendingPathComponent("launchdeck-config.json")
        try Data(JSONValue.object(context.hyperparameters).compactJSON.utf8).write(to: url)
    }
}
